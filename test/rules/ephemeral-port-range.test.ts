import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import ephemeralPortRange from '../../src/rules/ephemeral-port-range.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'ephemeral-port-range';

async function withRange(sysctl: string) {
  return byRule(await analyzeEdited('exhaustion', { 'netns/host/sysctl.txt': sysctl }), RULE);
}

describe(RULE, () => {
  it('valid: the captured 40000-40009 (different parity, above 1024) → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE), []);
  });
  it('invalid: a range starting below 1024 → warning', async () => {
    const [f] = nonEmpty(
      await withRange('net.ipv4.ip_local_port_range = 500\t65535\nnet.ipv4.ip_unprivileged_port_start = 0\n'),
    );
    assert.equal(f.severity, 'warning');
    assert.deepEqual([f.subject.lo, f.subject.hi], [500, 65535]);
  });
  it('invalid: ends of the same parity → info', async () => {
    const [f] = nonEmpty(await withRange('net.ipv4.ip_local_port_range = 32768\t60998\n'));
    assert.equal(f.severity, 'info');
    assert.match(f.message, /same parity/);
  });
});

ruleTester(ephemeralPortRange, {
  valid: [{ name: 'the captured 40000-40009', bundle: 'exhaustion' }],
  invalid: [
    {
      name: 'a range starting below 1024',
      bundle: 'exhaustion',
      edits: {
        'netns/host/sysctl.txt':
          'net.ipv4.ip_local_port_range = 500\t65535\nnet.ipv4.ip_unprivileged_port_start = 0\nnet.ipv4.tcp_timestamps = 1\nnet.ipv4.tcp_tw_reuse = 2\n',
      },
      findings: [
        {
          severity: 'warning',
          subject: { netns: 'host', lo: 500, hi: 65535 },
          evidence: ['sysctl: net.ipv4.ip_local_port_range = 500\t65535'],
        },
      ],
    },
    {
      name: 'ends of the same parity',
      bundle: 'exhaustion',
      edits: { 'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 32768\t60998\n' },
      findings: [
        {
          severity: 'info',
          subject: { netns: 'host', lo: 32768, hi: 60998 },
          message: /same parity/,
          evidence: ['sysctl: net.ipv4.ip_local_port_range = 32768\t60998'],
        },
      ],
    },
  ],
});
