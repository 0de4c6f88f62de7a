import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule } from '../helpers.js';

const RULE = 'ephemeral-port-range';

async function withRange(sysctl: string) {
  return byRule(await analyzeEdited('exhaustion', { 'netns/host/sysctl.txt': sysctl }), RULE);
}

describe(RULE, () => {
  it('valid: the captured 40000-40009 (different parity, above 1024) → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE), []);
  });
  it('invalid: a range starting below 1024 → warning', async () => {
    const [f] = await withRange('net.ipv4.ip_local_port_range = 500\t65535\nnet.ipv4.ip_unprivileged_port_start = 0\n');
    assert.equal(f.severity, 'warning');
    assert.deepEqual([f.subject.lo, f.subject.hi], [500, 65535]);
  });
  it('invalid: ends of the same parity → info', async () => {
    const [f] = await withRange('net.ipv4.ip_local_port_range = 32768\t60998\n');
    assert.equal(f.severity, 'info');
    assert.match(f.message, /same parity/);
  });
});
