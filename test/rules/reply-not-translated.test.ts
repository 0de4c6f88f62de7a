import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeCaptures } from '../../src/engine.js';
import { CAPTURE_RULES } from '../../src/rules/index.js';
import { analyzePcapFixture, byRule, FIXTURES } from '../helpers.js';

const RULE = 'reply-not-translated';
const text = (name: string) =>
  analyzeCaptures([join(FIXTURES, 'corpus', name)], { rules: CAPTURE_RULES, nodePortRange: { lo: 30000, hi: 32767 } });

describe(RULE, () => {
  it('invalid: kubernetes#122174 (tcpdump -e on cni0): SYN to the VIP, its DNAT-ed copy, SYN-ACK from the pod, RST → error naming Service and backend', async () => {
    const report = await text('tcpdump-e-122174.txt');
    const [f, ...rest] = byRule(report, RULE);
    assert.equal(rest.length, 0);
    assert.equal(f?.severity, 'error');
    assert.deepEqual(
      [f?.subject.service, f?.subject.backend, f?.subject.client],
      ['10.103.175.29:7800', '10.244.1.189:7800', '10.244.1.192:38530'],
    );
    assert.deepEqual(
      f?.evidence.map((e) => e.source),
      ['line 2', 'line 3', 'line 4', 'wireshark filter'],
    );
    assert.deepEqual(
      byRule(report, 'syn-unanswered'),
      [],
      'the SYN to the VIP is not "unanswered": its copy was answered',
    );
  });
  it('valid: handshakes that complete, and a capture without DNAT', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture(['single-client.pcap', 'tuple-reuse-sll2.pcap']), RULE), []);
    assert.deepEqual(byRule(await text('tcpdump-90854.txt'), RULE), []);
  });
});
