import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';

const RULE = 'icmp-unreachable-on-syn';

describe(RULE, () => {
  it('invalid: REJECT --reject-with icmp-host-unreachable (IPv4, real capture)', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('icmp-unreachable.pcap'), RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual([f.subject.server, f.subject.icmp, f.subject.from], ['10.77.0.2:82', '3/1', '10.77.0.2']);
    assert.match(f.message, /No route to host \(EHOSTUNREACH\)/);
    const icmp = f.evidence.find((e) => /ICMP 3\/1/.test(e.detail))!;
    assert.match(icmp.source, /^frame \d+$/);
  });

  it('invalid: ip6tables REJECT with icmp6-addr-unreachable (IPv6, real capture), evidence in frame order', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('icmp6-unreachable.pcap'), RULE));
    assert.deepEqual([f.subject.server, f.subject.icmp], ['[fd77::2]:82', '1/3']);
    const frames = f.evidence.filter((e) => e.source.startsWith('frame ')).map((e) => Number(e.source.slice(6)));
    assert.deepEqual(
      frames,
      [...frames].sort((a, b) => a - b),
    );
    assert.match(
      f.evidence.at(-1)!.detail,
      /^ipv6\.addr==fd77::1 && tcp\.port==\d+ && ipv6\.addr==fd77::2 && tcp\.port==82$/,
    );
  });

  it('valid: captures without ICMP errors', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture(['syn-unanswered.pcap', 'single-client.pcap']), RULE), []);
  });
});
