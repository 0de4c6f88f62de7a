import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePcapFixture, byRule, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'timestamps-non-monotonic-per-source';

describe(RULE, () => {
  it('invalid: two clients behind a MASQUERADE router, one clock and per-connection clocks (real capture, pcap and pcapng)', async () => {
    for (const file of ['nat-timestamps.pcap', 'nat-timestamps.pcapng']) {
      const [f, ...rest] = nonEmpty(byRule(await analyzePcapFixture(file), RULE));
      assert.equal(rest.length, 0);
      assert.equal(f.severity, 'warning');
      assert.equal(f.subject.source, '10.78.0.1');
      assert.equal(f.subject.connections, 6);
      assert.ok(Number(f.subject.clocks) >= 2 && Number(f.subject.clocks) < 6, `clocks ${f.subject.clocks}`);
      assert.ok(Number(f.subject.backwards) >= 1);
      assert.match(f.message, /several hosts behind one address/);
      assert.match(at(f.evidence, 1).detail, /SYN TSval=\d+, \d+ lower/);
    }
  });

  it('info: one client whose kernel randomises the offset per connection (Linux 6.18, tcp_timestamps=1)', async () => {
    const [f] = nonEmpty(byRule(await analyzePcapFixture('single-client-random-offsets.pcap'), RULE));
    assert.equal(f.severity, 'info');
    assert.equal(f.subject.clocks, f.subject.connections);
  });

  it('valid: one client with one clock (tcp_timestamps=2)', async () => {
    assert.deepEqual(byRule(await analyzePcapFixture('single-client.pcap'), RULE), []);
  });
});
