import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'syn-retransmit-1s';

describe(RULE, () => {
  it('invalid: the first SYN dropped (iptables recent), the retransmission 1 s later accepted (real capture, Linux cooked v1, ns)', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('syn-retransmit-1s-sll.pcap'), RULE));
    assert.equal(f.severity, 'warning');
    assert.equal(f.subject.server, '10.77.0.2:83');
    assert.match(f.message, /retransmitted 1\.0\d\d s later/);
    assert.deepEqual(
      f.evidence.map((e) => e.source),
      ['frame 1', 'frame 2', 'frame 3', 'wireshark filter'],
    );
    assert.match(at(f.evidence, 1).detail, /SYN, sent 2 times in all \(last one here, 1\.0\d\d s after the first\)/);
    assert.match(at(f.evidence, 2).detail, /^t=1\.0\d+ {2}10\.77\.0\.2:83 → 10\.77\.0\.1:\d+ SYN-ACK$/);
  });

  it('valid: SYNs answered at once, or never answered', async () => {
    assert.deepEqual(
      byRule(
        await analyzePcapFixture(['single-client.pcap', 'syn-unanswered.pcap', 'synack-retransmitted.pcap']),
        RULE,
      ),
      [],
    );
  });
});
