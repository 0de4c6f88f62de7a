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
  const masked = actual.replaceAll(/kube-netdoctor \d+\.\d+\.\d+\S*/g, 'kube-netdoctor X.Y.Z').replaceAll(join(FIXTURES, 'bundles'), 'test/fixtures/bundles');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, masked);
  assert.equal(masked, readFileSync(path, 'utf8'));
}

describe('reporters', () => {
  it('text: grouped by severity, evidence, fix, summary', async () => {
    const report = await analyzeFixture(bundleFixture('overlap'));
    const text = renderText(report, { color: false });
    assert.ok(text.indexOf('ERROR ephemeral-range-overlaps-nodeports') < text.indexOf('WARNING source-port-is-nodeport'));
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
