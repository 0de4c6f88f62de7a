/** Every command's JSON report is valid against docs/report.schema.json, the contract consumers build on. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { bundleFixture, FIXTURES, manifestFixture, pcapFixture, ROOT, runCli } from '../helpers.js';

const validate = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object,
);

async function valid(args: string[], stdin?: string): Promise<void> {
  const r = await runCli([...args, '--format', 'json'], stdin === undefined ? {} : { stdin });
  const report = JSON.parse(r.stdout) as unknown;
  assert.ok(validate(report), `${args.join(' ')}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
}

describe('the JSON report schema', () => {
  it('analyze: every fixture bundle, and loose files from the corpus', async () => {
    for (const b of [
      'overlap',
      'exhaustion',
      'backend-split',
      'ipvs-rolling-update',
      'tw-recycle-nat',
      'listen-overflow',
      'kube-proxy-nft',
    ])
      await valid(['analyze', bundleFixture(b)]);
    await valid([
      'analyze',
      join(FIXTURES, 'corpus', 'ipvsadm-81775.txt'),
      join(FIXTURES, 'corpus', 'kube-proxy-92250.log'),
      join(FIXTURES, 'corpus', 'uname-92250.txt'),
    ]);
  });
  it('lint, pcap (file and tcpdump text) and explain', async () => {
    await valid(['lint', manifestFixture('incidents.yaml')]);
    await valid(['pcap', pcapFixture('synack-retransmitted.pcap')]);
    await valid(['pcap', join(FIXTURES, 'corpus', 'tcpdump-e-122174.txt')]);
    await valid(['explain', '-'], 'dial tcp 10.96.0.1:443: connect: no route to host\nsomething else\n');
  });
  it('node, on the namespace the test runs in', async () => {
    await valid(['node', '--netns', 'self', '--as-node', '--interval', '0']);
  });
});
