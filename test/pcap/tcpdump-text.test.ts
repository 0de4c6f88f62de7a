/**
 * Captures as people paste them: tcpdump's own text output of every real capture fixture (plain, -v, -tt and
 * -tttt) gives the same findings as the capture file, citing lines instead of frames. ICMP unreachable lines
 * name the hosts (and the port, for port unreachable) but not the client's port: the tracker matches them to
 * the latest open attempt between those hosts, and the findings still agree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzePcapFixture, FIXTURES } from '../helpers.js';
import { analyzeCaptures } from '../../src/engine.js';
import { CAPTURE_RULES } from '../../src/rules/index.js';

const skip = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0 ? undefined : 'needs tcpdump (see .ci/run)';
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-tcpdump-text-'))));
after(() => rm(dir, { recursive: true, force: true }));

const key = (f: { rule: string; severity: string; subject: Record<string, unknown> }) => {
  const { capture: _c, ...subject } = f.subject;
  return `${f.rule}:${f.severity}:${JSON.stringify(subject)}`;
};

describe('tcpdump text of the real captures', { skip }, () => {
  const files = readdirSync(join(FIXTURES, 'pcap')).filter((f) => f.endsWith('.pcap'));
  for (const file of files) {
    for (const flags of [[], ['-v'], ['-tttt'], ['-tt']]) {
      it(`${file} printed by tcpdump -nr ${flags.join(' ')}`, async () => {
        const text = spawnSync('tcpdump', ['-nr', join(FIXTURES, 'pcap', file), ...flags], { encoding: 'utf8' }).stdout;
        const out = join(dir, `${file}${flags.join('')}.txt`);
        await writeFile(out, text);
        const fromPcap = (await analyzePcapFixture(file)).findings;
        const fromText = (
          await analyzeCaptures([out], { rules: CAPTURE_RULES, nodePortRange: { lo: 30000, hi: 32767 } })
        ).findings;
        assert.deepEqual(fromText.map(key).sort(), fromPcap.map(key).sort());
        for (const f of fromText)
          for (const e of f.evidence) assert.doesNotMatch(e.source, /^frame /, 'a text capture cites lines');
      });
    }
  }
});
