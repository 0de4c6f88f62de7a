import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tar from 'tar';
import { bundleFixture, FIXTURES, runCli, runJson } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

describe('CLI contract', () => {
  it('analyze: findings at or above --fail-on exit 1, JSON per SPEC.md', async () => {
    const { code, report } = await runJson(['analyze', bundleFixture('exhaustion')]);
    assert.equal(code, 1);
    assert.deepEqual(Object.keys(report).slice(0, 7), [
      'tool',
      'version',
      'schemaVersion',
      'target',
      'findings',
      'skipped',
      'problems',
    ]);
    assert.equal(report.tool, 'kube-netdoctor');
    assert.equal(report.schemaVersion, 1);
    assert.deepEqual(report.target, { kind: 'bundle', name: bundleFixture('exhaustion') });
    assert.deepEqual(report.summary, { error: 1, warning: 0, info: 0 });
    assert.deepEqual(Object.keys(at(report.findings, 0)), [
      'rule',
      'severity',
      'message',
      'subject',
      'evidence',
      'remediation',
      'docs',
    ]);
  });

  it('--fail-on never → 0; --fail-on warning with only a warning → 1', async () => {
    assert.equal((await runCli(['analyze', bundleFixture('exhaustion'), '--fail-on', 'never'])).code, 0);
    const r = await runCli([
      'analyze',
      bundleFixture('overlap'),
      '--rules',
      'source-port-is-nodeport',
      '--fail-on',
      'warning',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^WARNING source-port-is-nodeport/m);
  });

  it('usage errors and unreadable input exit 2 with a message that says what to do', async () => {
    const unknownRule = await runCli(['analyze', bundleFixture('exhaustion'), '--rules', 'no-such-rule']);
    assert.equal(unknownRule.code, 2);
    assert.match(unknownRule.stderr, /unknown rule: no-such-rule \(known: ephemeral-port-exhaustion/);
    const badFlag = await runCli(['node', '--interval', 'soon']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /not a duration/);
    const missing = await runCli(['analyze', '/nonexistent/bundle.tar.gz']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    const dir = await mkdtemp(join(tmpdir(), 'nd-cli-'));
    try {
      await writeFile(join(dir, 'junk.tar.gz'), 'not a tarball');
      const junk = await runCli(['analyze', join(dir, 'junk.tar.gz')]);
      assert.equal(junk.code, 2);
      assert.match(junk.stderr, /not a readable \.tar\.gz bundle/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a hand-made .tar.gz with one top directory is analysed like the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nd-cli-'));
    try {
      await tar.c({ gzip: true, file: join(dir, 'b.tgz'), cwd: join(FIXTURES, 'bundles') }, ['overlap']);
      const fromTar = await runJson(['analyze', join(dir, 'b.tgz')]);
      const fromDir = await runJson(['analyze', bundleFixture('overlap')]);
      assert.deepEqual(fromTar.report.findings, fromDir.report.findings);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every command has --help with an example; rules prints a doc page', async () => {
    for (const cmd of ['node', 'collect', 'analyze', 'rules']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples?:/);
    }
    const doc = await runCli(['rules', 'listen-queue-overflow']);
    assert.equal(doc.stdout, await readFile(join(FIXTURES, '../../docs/rules/listen-queue-overflow.md'), 'utf8'));
  });
});
