import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import sourcePortIsNodeport from '../../src/rules/source-port-is-nodeport.js';
import { ruleTester } from './rule-tester.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'source-port-is-nodeport';

describe(RULE, () => {
  it('invalid: a connection from source port 31000 → warning with its line', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('overlap')), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'warning');
    assert.equal(f.subject.ports, '31000');
    assert.match(at(f.evidence, 0).detail, /^source port 31000 → 127\.0\.0\.1:80: .*0100007F:7918 0100007F:0050 01/);
  });
  it('valid: with a NodePort range that excludes 31000 → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('overlap'), '32000-32767'), RULE), []);
  });
});

describe(`${RULE}: NodePorts from kube-proxy's rules`, () => {
  it('invalid: source port 31000 is the NodePort of default/web in KUBE-NODEPORTS → error naming the Service and the rule', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft')), RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      { ports: f.subject.ports, nodePorts: f.subject.nodePorts },
      { ports: '31000', nodePorts: '31000' },
    );
    assert.match(f.message, /NodePorts of Services: 31000 \(default\/web:http\)/);
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'iptables-nft-save' &&
          e.detail ===
            '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 31000 -j KUBE-EXT-WEB',
      ),
    );
  });
  it('a NodePort outside the range we were told is still found, and reserved in the fix', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft'), '32000-32767'), RULE));
    assert.equal(f.severity, 'error');
    assert.equal(f.subject.nodePorts, '31000');
    assert.match(f.remediation, /ip_local_reserved_ports=32000-32767,30080,31000/);
  });
});

ruleTester(sourcePortIsNodeport, {
  valid: [{ name: 'source ports 40000-40009 only', bundle: 'exhaustion' }],
  invalid: [
    {
      name: 'source port 31000 inside the NodePort range (overlap bundle)',
      bundle: 'overlap',
      findings: [
        {
          severity: 'warning',
          subject: { netns: 'host', ports: '31000', sockets: 1 },
          evidence: [
            /^\/proc\/net\/tcp: source port 31000 → 127\.0\.0\.1:80: 1: 0100007F:7918 /,
            'nodeport range: 30000-32767 (Kubernetes default)',
          ],
        },
      ],
    },
    {
      name: "source port 31000 is a Service's NodePort in kube-proxy's rules",
      bundle: 'kube-proxy-nft',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', ports: '31000', sockets: 1, nodePorts: '31000' },
          evidence: [
            /^\/proc\/net\/tcp: source port 31000 → 127\.0\.0\.1:80: /,
            /^iptables-nft-save: -A KUBE-NODEPORTS .*--dport 31000 -j KUBE-EXT-WEB$/,
            'nodeport range: 30000-32767 (Kubernetes default)',
            "KUBE-NODEPORTS: 3 NodePort(s) in kube-proxy's rules",
          ],
        },
      ],
    },
  ],
});
