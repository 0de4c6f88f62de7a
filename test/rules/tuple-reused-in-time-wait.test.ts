import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule } from '../helpers.js';

const RULE = 'tuple-reused-in-time-wait';

describe(RULE, () => {
  it('invalid: two ports and tcp_tw_reuse=1, four connections 1.2 s apart (real capture, Linux cooked v2)', async () => {
    const [f, ...rest] = byRule(await analyzePcapFixture('tuple-reuse-sll2.pcap'), RULE);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'warning');
    assert.deepEqual([f.subject.server, f.subject.client, f.subject.reuses], ['10.77.0.2:80', '10.77.0.1:40000', 3]);
    assert.match(f.message, /had closed only 1\.2\d\d s before/);
    assert.deepEqual(f.evidence.map((e) => e.source), ['frame 9', 'frame 11', 'wireshark filter']);
    assert.match(f.evidence[0].detail, /10\.77\.0\.1:40000 ↔ 10\.77\.0\.2:80 previous connection closed/);
  });

  it('valid: every connection on a new source port', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture(['single-client.pcap', 'nat-timestamps.pcap']), RULE), []);
  });
});
