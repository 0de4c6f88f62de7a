import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { analyzeFixture, bundleFixture, FIXTURES } from '../helpers.js';

/** Golden files; UPDATE_GOLDEN=1 rewrites them. The version is masked so a release does not break them. */
function golden(name: string, actual: string): void {
  const path = join(FIXTURES, 'golden', name);
  const masked = actual
    .replaceAll(/kube-netdoctor \d+\.\d+\.\d+\S*/g, 'kube-netdoctor X.Y.Z')
    .replaceAll(join(FIXTURES, 'bundles'), 'test/fixtures/bundles');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, masked);
  assert.equal(masked, readFileSync(path, 'utf8'));
}

describe('reporters', () => {
  it('text: grouped by severity, evidence, fix, summary', async () => {
    const report = await analyzeFixture(bundleFixture('overlap'));
    const text = renderText(report, { color: false });
    assert.ok(
      text.indexOf('ERROR ephemeral-range-overlaps-nodeports') < text.indexOf('WARNING source-port-is-nodeport'),
    );
    assert.match(text.trimEnd().split('\n').pop()!, /^1 error, 1 warning, 0 info$/);
    golden('overlap.txt', text);
  });
  it('text: colour only when asked', async () => {
    const report = await analyzeFixture(bundleFixture('overlap'));
    assert.doesNotMatch(renderText(report, { color: false }), /\x1b\[/);
    assert.match(renderText(report, { color: true }), /\x1b\[/);
  });
  it('markdown', async () => {
    golden('exhaustion.md', renderMarkdown(await analyzeFixture(bundleFixture('exhaustion'))));
  });
});

describe('reporters: iptables evidence', () => {
  it('text shows iptables-save and log lines exactly as printed, with their line numbers', async () => {
    const report = await analyzeFixture(bundleFixture('backend-split'));
    const text = renderText(report, { color: false });
    assert.match(text, /\n {4}iptables-nft-save:\d+ +:KUBE-MARK-DROP - \[0:0\]\n/);
    assert.match(
      text,
      /\n {4}logs\/kube-proxy\.log:3 +\S+ stderr F E\d{4} [\d:.]+ +1 proxier\.go:1413\] Failed to execute iptables-restore: exit status 2 \(iptables-restore v1\.8\.9 \(legacy\): Couldn't load target `KUBE-MARK-DROP':No such file or directory\n/,
    );
    golden(
      'backend-split.txt',
      text
        .replaceAll(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIMESTAMP')
        .replaceAll(/E\d{4} \d\d:\d\d:\d\d\.\d+/g, 'EMMDD hh:mm:ss'),
    );
  });
  it('json keeps the exact line and its number', async () => {
    const report = await analyzeFixture(bundleFixture('backend-split'));
    const evidence = report.findings.flatMap((f) => f.evidence);
    const lines = readFileSync(join(bundleFixture('backend-split'), 'netns/host/iptables-nft-save'), 'utf8').split(
      '\n',
    );
    const fromSave = evidence.filter((e) => e.source === 'iptables-nft-save' && e.line !== undefined);
    assert.ok(fromSave.length > 3);
    for (const e of fromSave) assert.equal(e.detail, lines[e.line! - 1]);
  });
});
