/**
 * A capture with no connection attempt leaves every capture rule nothing to judge: that is exit 2 (or, beside
 * a capture that has attempts, "not checked"), never "No problems found". Inputs are cut from the real
 * captures: the global header alone, and the capture with its SYNs filtered out by tcpdump.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/report/report.js';
import { pcapFixture, runCli } from '../helpers.js';

const skip = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0 ? undefined : 'needs tcpdump (see .ci/run)';
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-nothing-'))));
after(() => rm(dir, { recursive: true, force: true }));

describe('pcap with nothing to judge', () => {
  it('the global header alone (0 packets): exit 2 naming the file, not "No problems found"', async () => {
    const file = join(dir, 'header-only.pcap');
    await writeFile(file, readFileSync(pcapFixture('syn-unanswered.pcap')).subarray(0, 24));
    const r = await runCli(['pcap', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /header-only\.pcap holds no TCP packets \(0 packets read\)/);
    assert.doesNotMatch(r.stdout, /No problems found/);
  });

  it(
    'mid-stream packets only (SYNs filtered out): exit 2 saying the connections began before the capture',
    { skip },
    async () => {
      const file = join(dir, 'no-syn.pcap');
      const cut = spawnSync('tcpdump', [
        '-r',
        pcapFixture('single-client.pcap'),
        '-w',
        file,
        'tcp[tcpflags] & tcp-syn == 0',
      ]);
      assert.equal(cut.status, 0, String(cut.stderr));
      const r = await runCli(['pcap', file]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no-syn\.pcap holds no connection attempt \(no SYN among \d+ TCP packets/);
    },
  );

  it(
    'beside a capture with attempts: the empty one is listed as not checked, and the summary says so',
    { skip },
    async () => {
      const empty = join(dir, 'no-syn-2.pcap');
      spawnSync('tcpdump', ['-r', pcapFixture('single-client.pcap'), '-w', empty, 'tcp[tcpflags] & tcp-syn == 0']);
      const both = [pcapFixture('syn-unanswered.pcap'), empty];
      const json = await runCli(['pcap', ...both, '--format', 'json']);
      const report = JSON.parse(json.stdout) as Report;
      assert.deepEqual(
        report.findings.map((f) => f.rule),
        ['syn-unanswered'],
      );
      assert.equal(report.skipped.length, report.context?.rules);
      assert.ok(report.skipped.every((s) => s.reason.includes('no-syn-2.pcap holds no connection attempt')));
      const text = await runCli(['pcap', ...both]);
      assert.match(text.stdout, /rules? not checked/);
    },
  );
});
