/** tcp_tw_recycle is gone from the kernel here: the bundle is shaped as a 4.9 kernel prints it (see bundles/README.md). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import tcpTwRecycleNat from '../../src/rules/tcp-tw-recycle-nat.js';
import { ruleTester, fixtureText } from './rule-tester.js';

const RULE = 'tcp-tw-recycle-nat';
const SYSCTL = 'netns/host/sysctl.txt';

describe(RULE, () => {
  it('invalid: tw_recycle + timestamps + kube-proxy MASQUERADE, PAWSPassive rising → error with the NAT rule', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('tw-recycle-nat')), RULE));
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { severity: f.severity, nat: f.subject.nat, paws: f.subject.pawsPassive },
      { severity: 'error', nat: true, paws: 60 },
    );
    assert.ok(
      f.evidence.some((e) => e.source === 'iptables-legacy-save' && /-j MASQUERADE --random-fully$/.test(e.detail)),
    );
    assert.ok(
      f.evidence.some((e) => e.detail === 'TcpExt.PAWSPassive rose by 60 in 10.0 s: SYNs are being rejected now'),
    );
  });
  it('tw_recycle without NAT rules → warning', async () => {
    const plain = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
    const [f] = nonEmpty(
      byRule(await analyzeEdited('tw-recycle-nat', { 'netns/host/iptables-legacy-save': plain }), RULE),
    );
    assert.deepEqual({ severity: f.severity, nat: f.subject.nat }, { severity: 'warning', nat: false });
  });
  it('tw_recycle with NAT unknown (no iptables-save) → warning saying so', async () => {
    const [f] = nonEmpty(
      byRule(await analyzeEdited('tw-recycle-nat', { 'netns/host/iptables-legacy-save': null }), RULE),
    );
    assert.equal(f.subject.nat, 'unknown');
    assert.match(f.message, /unknown \(no iptables-save was collected\)/);
  });
  it('valid: tw_recycle off, or timestamps off, or a 4.12+ kernel without the sysctl → nothing', async () => {
    for (const sysctl of [
      'net.ipv4.tcp_tw_recycle = 0\nnet.ipv4.tcp_timestamps = 1\n',
      'net.ipv4.tcp_tw_recycle = 1\nnet.ipv4.tcp_timestamps = 0\n',
      'net.ipv4.tcp_timestamps = 1\n',
    ]) {
      assert.deepEqual(byRule(await analyzeEdited('tw-recycle-nat', { [SYSCTL]: sysctl }), RULE), [], sysctl);
    }
  });
});

ruleTester(tcpTwRecycleNat, {
  valid: [
    {
      name: 'tcp_tw_recycle = 0',
      bundle: 'tw-recycle-nat',
      edits: {
        'netns/host/sysctl.txt': fixtureText('tw-recycle-nat', 'netns/host/sysctl.txt').replace(
          'tcp_tw_recycle = 1',
          'tcp_tw_recycle = 0',
        ),
      },
    },
  ],
  invalid: [
    {
      name: 'recycle on behind MASQUERADE, PAWSPassive rising (tw-recycle-nat bundle)',
      bundle: 'tw-recycle-nat',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', nat: true, pawsPassive: 60 },
          evidence: [
            'sysctl: net.ipv4.tcp_tw_recycle = 1',
            'sysctl: net.ipv4.tcp_timestamps = 1',
            '/proc/net/netstat: TcpExt.PAWSPassive rose by 60 in 10.0 s: SYNs are being rejected now',
            'uname -r: 4.9.0-8-amd64',
            /^iptables-legacy-save: -A KUBE-POSTROUTING .* -j MASQUERADE --random-fully$/,
          ],
        },
      ],
    },
  ],
});
