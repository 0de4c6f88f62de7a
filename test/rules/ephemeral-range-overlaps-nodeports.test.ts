import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, editedBundle, nonEmpty } from '../helpers.js';
import ephemeralRangeOverlapsNodeports from '../../src/rules/ephemeral-range-overlaps-nodeports.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'ephemeral-range-overlaps-nodeports';

describe(RULE, () => {
  it('invalid: a node with 1024-65535 → error naming the overlap', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('overlap')), RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      [f.subject.range, f.subject.nodePorts, f.subject.overlap],
      ['1024-65535', '30000-32767', '30000-32767'],
    );
    assert.ok(f.evidence.some((e) => e.detail === 'net.ipv4.ip_local_port_range = 1024\t65535'));
  });
  it('valid: the NodePort range reserved → nothing', async () => {
    assert.deepEqual(
      byRule(
        await analyzeEdited('overlap', {
          'netns/host/sysctl.txt':
            'net.ipv4.ip_local_port_range = 1024\t65535\nnet.ipv4.ip_local_reserved_ports = 30000-32767\n',
        }),
        RULE,
      ),
      [],
    );
  });
  it('partly reserved → error naming only the exposed part; --nodeport-range is honoured', async () => {
    const b = await editedBundle('overlap', {
      'netns/host/sysctl.txt':
        'net.ipv4.ip_local_port_range = 1024\t65535\nnet.ipv4.ip_local_reserved_ports = 30000-31999\n',
    });
    try {
      assert.equal(byRule(await analyzeFixture(b.dir), RULE)[0]?.subject.overlap, '32000-32767');
      assert.equal(byRule(await analyzeFixture(b.dir, '20000-22767'), RULE)[0]?.subject.overlap, '20000-22767');
    } finally {
      await b.done();
    }
  });
  it('valid: the default range does not touch 30000-32767', async () => {
    assert.deepEqual(
      byRule(
        await analyzeEdited('overlap', { 'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 32768\t60999\n' }),
        RULE,
      ),
      [],
    );
  });
});

describe(`${RULE}: NodePorts from kube-proxy's rules`, () => {
  it('names the live Service NodePorts the range exposes, with their rules', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft')), RULE));
    assert.equal(f.subject.serviceNodePorts, 3);
    assert.match(f.message, /3 of them NodePorts of live Services \(32100, 31000, 30080\)/);
    assert.ok(
      f.evidence.some((e) => e.source === 'iptables-nft-save' && /--dport 30080 -j KUBE-SVL-WEBLOCAL$/.test(e.detail)),
    );
  });
  it('NodePorts outside the range we were told still overlap the ephemeral range', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft'), '40000-40100'), RULE));
    assert.equal(f.subject.overlap, '40000-40100,32100,31000,30080');
  });
});

ruleTester(ephemeralRangeOverlapsNodeports, {
  valid: [{ name: '40000-40009 lies above the NodePorts', bundle: 'exhaustion' }],
  invalid: [
    {
      name: '1024-65535 holds all of 30000-32767 (overlap bundle)',
      bundle: 'overlap',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', range: '1024-65535', nodePorts: '30000-32767', overlap: '30000-32767' },
          evidence: [
            'sysctl: net.ipv4.ip_local_port_range = 1024\t65535',
            'sysctl: net.ipv4.ip_local_reserved_ports =',
            'nodeport range: 30000-32767 (Kubernetes default)',
            'overlap: 2,768 NodePort(-range) ports can be picked as source ports: 30000-32767',
          ],
        },
      ],
    },
    {
      name: "the Services' NodePorts named from kube-proxy's nft rules",
      bundle: 'kube-proxy-nft',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', overlap: '30000-32767', serviceNodePorts: 3 },
          evidence: [
            'sysctl: net.ipv4.ip_local_port_range = 1024\t65535',
            'sysctl: net.ipv4.ip_local_reserved_ports =',
            'nodeport range: 30000-32767 (Kubernetes default)',
            'overlap: 2,768 NodePort(-range) ports can be picked as source ports: 30000-32767',
            /^iptables-nft-save: -A KUBE-NODEPORTS .*--dport 32100 -j ACCEPT$/,
            /^iptables-nft-save: -A KUBE-NODEPORTS .*"default\/web:http" -m tcp --dport 31000 -j KUBE-EXT-WEB$/,
          ],
        },
      ],
    },
  ],
});
