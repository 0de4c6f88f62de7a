import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'syn-unanswered';

describe(RULE, () => {
  it('invalid: SYNs to a port the server DROPs, retransmitted until curl gave up (real capture)', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzePcapFixture('syn-unanswered.pcap'), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.subject.server, '10.77.0.2:81');
    assert.equal(f.subject.attempts, 1);
    assert.deepEqual(
      f.evidence.map((e) => e.source),
      ['frame 1', 'frame 4', 'wireshark filter'],
    );
    assert.match(at(f.evidence, 1).detail, /SYN, sent 4 times in all/);
  });

  it('valid: answered, refused by ICMP, or half-answered handshakes are not "unanswered"', async () => {
    const report = await analyzePcapFixture([
      'single-client.pcap',
      'icmp-unreachable.pcap',
      'synack-retransmitted.pcap',
      'syn-retransmit-1s-sll.pcap',
    ]);
    assert.deepEqual(byRule(report, RULE), []);
  });
});
