import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'tuple-reused-in-time-wait';

describe(RULE, () => {
  it('invalid: two ports and tcp_tw_reuse=1, four connections 1.2 s apart (real capture, Linux cooked v2)', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzePcapFixture('tuple-reuse-sll2.pcap'), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'warning');
    assert.deepEqual([f.subject.server, f.subject.client, f.subject.reuses], ['10.77.0.2:80', '10.77.0.1:40000', 3]);
    assert.match(f.message, /had closed only 1\.2\d\d s before/);
    assert.deepEqual(
      f.evidence.map((e) => e.source),
      ['frame 9', 'frame 11', 'wireshark filter'],
    );
    assert.match(at(f.evidence, 0).detail, /10\.77\.0\.1:40000 ↔ 10\.77\.0\.2:80 previous connection closed/);
  });

  it('valid: every connection on a new source port', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture(['single-client.pcap', 'nat-timestamps.pcap']), RULE), []);
  });

  it('invalid: a SYN answered by a bare ACK, the server still holding the old connection (real capture, challenge-ack.pcap) → named as such, once', async () => {
    const [f, ...rest] = byRule(await analyzePcapFixture('challenge-ack.pcap'), RULE);
    assert.equal(rest.length, 0, 'one finding for the attempt, not a second "reused tuple" one');
    assert.equal(f?.severity, 'warning');
    assert.deepEqual(
      [f?.subject.server, f?.subject.client, f?.subject.challengeAcks],
      ['10.77.0.2:80', '10.77.0.1:31001', 1],
    );
    assert.match(
      f?.message ?? '',
      /answered with a bare ACK instead of a SYN-ACK: the server still holds a connection on that 4-tuple/,
    );
    assert.deepEqual(
      f?.evidence.map((e) => e.source),
      ['frame 3', 'frame 4', 'frame 5', 'frame 9', 'wireshark filter'],
    );
    assert.match(f?.evidence[0]?.detail ?? '', /previous connection on this tuple, never closed in the capture/);
  });
});

describe('captures that are not "no reply at all"', () => {
  it("a SYN-ACK captured before its SYN (as tcpdump -i any can order them) is the SYN's answer", async () => {
    const report = await analyzePcapFixture('synack-first.pcap');
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      [],
    );
    const [c] = report.context?.captures ?? [];
    assert.equal(c?.established, c?.attempts, 'every handshake completed');
  });
  it('a simultaneous open (both ends sent a SYN, real capture) is an answer, not two unanswered SYNs', async () => {
    const report = await analyzePcapFixture('simultaneous-open.pcap');
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      [],
    );
    assert.equal(report.context?.captures?.[0]?.established, 1);
  });
});
