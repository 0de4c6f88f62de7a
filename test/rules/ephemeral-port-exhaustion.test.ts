import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import ephemeralPortExhaustion from '../../src/rules/ephemeral-port-exhaustion.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'ephemeral-port-exhaustion';

describe(RULE, () => {
  it('invalid: 10 of 10 ports to 127.0.0.1:8080 → error with the tuple and counts', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE));
    assert.equal(rest.length, 0, 'the 3 IPv6 sockets to [::1]:8443 stay below the thresholds');
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      [f.subject.netns, f.subject.remoteIp, f.subject.remotePort, f.subject.used, f.subject.usable],
      ['host', '127.0.0.1', 8080, 10, 10],
    );
    assert.equal(f.evidence[2]?.detail, 'net.ipv4.ip_local_port_range = 40000\t40009');
  });

  it('valid: the same sockets with a wide range → nothing', async () => {
    assert.deepEqual(
      byRule(
        await analyzeEdited('exhaustion', { 'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 40000\t40099\n' }),
        RULE,
      ),
      [],
    );
  });

  it('invalid: 8 of 10 → warning; a listener in the range takes a port from every destination', async () => {
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('exhaustion', { 'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 40000\t40013\n' }),
        RULE,
      ),
    );
    assert.equal(f.severity, 'warning');
    assert.equal(f.subject.used, 10);
    assert.equal(f.subject.usable, 14);
  });

  it('without sysctl.txt the kernel default is assumed, and the evidence says so', async () => {
    const r = await analyzeEdited('exhaustion', { 'netns/host/sysctl.txt': null });
    assert.deepEqual(byRule(r, RULE), [], '10 sockets are nothing against 28,232 ports');
    assert.ok(r.skipped.some((s) => s.rule === 'ephemeral-port-range' && /sysctl\.txt was not read/.test(s.reason)));
  });

  it('without the socket table the rule is skipped with the reason', async () => {
    const r = await analyzeEdited('exhaustion', { 'netns/host/proc/net/tcp': null, 'netns/host/proc/net/tcp6': null });
    assert.deepEqual(
      r.skipped.find((s) => s.rule === RULE),
      { rule: RULE, reason: 'proc/net/tcp was not read', netns: ['host'] },
    );
  });
});

describe('ephemeral-port-exhaustion: a range that was not read is said to be assumed', () => {
  it('ss -tan alone, every default port held → the finding says "assumed" and carries rangeAssumed', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { analyzeBundles } = await import('../../src/engine.js');
    const { NODE_RULES } = await import('../../src/rules/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'nd-assumed-'));
    try {
      const rows = Array.from(
        { length: 60999 - 32768 + 1 },
        (_, i) => `ESTAB 0 0 10.0.0.1:${32768 + i} 10.96.0.10:443`,
      );
      await writeFile(
        join(dir, 'ss.txt'),
        `State Recv-Q Send-Q Local Address:Port Peer Address:Port\n${rows.join('\n')}\n`,
      );
      const report = await analyzeBundles([join(dir, 'ss.txt')], { rules: NODE_RULES });
      const [f] = byRule(report, RULE).filter((x) => x.subject.remoteIp === '10.96.0.10');
      assert.equal(f?.severity, 'error');
      assert.equal(f?.subject.rangeAssumed, true);
      assert.match(
        f?.message ?? '',
        /assumed: the port range was not read, so the kernel default 32768-60999 stands in/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

ruleTester(ephemeralPortExhaustion, {
  valid: [{ name: 'one socket to 127.0.0.1:80 in 1024-65535 (overlap bundle)', bundle: 'overlap' }],
  invalid: [
    {
      name: '10 of 10 ports to 127.0.0.1:8080 (exhaustion bundle)',
      bundle: 'exhaustion',
      findings: [
        {
          severity: 'error',
          subject: {
            netns: 'host',
            localIp: '127.0.0.1',
            remoteIp: '127.0.0.1',
            remotePort: 8080,
            used: 10,
            usable: 10,
          },
          evidence: [
            '/proc/net/tcp: 10 sockets 127.0.0.1 → 127.0.0.1:8080 hold a local port in 40000-40009: ESTABLISHED 10',
            /^\/proc\/net\/tcp: e\.g\. 4: 0100007F:9C40 0100007F:1F90 01 /,
            'sysctl: net.ipv4.ip_local_port_range = 40000\t40009',
          ],
        },
      ],
    },
  ],
});
