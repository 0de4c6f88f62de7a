import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';

const RULE = 'synack-retransmitted';

describe(RULE, () => {
  it('invalid: the client drops SYN-ACKs; client port 31000 is in the NodePort range (real capture)', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('synack-retransmitted.pcap'), RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      [f.subject.server, f.subject.client, f.subject.clientPortIsNodePort],
      ['10.77.0.2:80', '10.77.0.1:31000', true],
    );
    assert.match(f.message, /client port 31000 is in the NodePort range 30000-32767/);
    assert.equal(f.evidence[0]?.source, 'frame 1');
    assert.match(f.evidence.find((e) => /SYN-ACK, sent/.test(e.detail))!.detail, /SYN-ACK, sent 5 times in all/);
  });

  it('the NodePort remark follows --nodeport-range', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('synack-retransmitted.pcap', '40000-42767'), RULE));
    assert.equal(f.subject.clientPortIsNodePort, false);
    assert.doesNotMatch(f.message, /is in the NodePort range/);
  });

  it('valid: handshakes that complete', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture(['single-client.pcap', 'tuple-reuse-sll2.pcap']), RULE), []);
  });
});
