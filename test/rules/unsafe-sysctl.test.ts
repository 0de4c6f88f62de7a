import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byRule, lintFixture } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'unsafe-sysctl';

describe(RULE, () => {
  it('invalid: a namespaced unsafe sysctl is a warning, a node-wide one an error, net.* on hostNetwork an error', async () => {
    const found = byRule(await lintFixture(['more-rules.yaml', 'incidents.yaml']), RULE);
    assert.deepEqual(
      found.map((f) => [f.subject.name, f.subject.sysctl, f.severity, f.subject.line]),
      [
        ['somaxconn-pod', 'net.core.somaxconn', 'warning', 11],
        ['vm-pod', 'vm.max_map_count', 'error', 27],
        ['wide-range-hostnet', 'net.ipv4.ip_local_port_range', 'error', 30],
      ],
    );
    assert.match(at(found, 0).remediation, /--allowed-unsafe-sysctls=net\.core\.somaxconn/);
  });

  it('the safe set follows --k8s-version: tcp_keepalive_time is safe from 1.29', async () => {
    const old = byRule(await lintFixture(['more-rules.yaml'], { k8sVersion: [1, 28] }), RULE).filter(
      (f) => f.subject.sysctl === 'net.ipv4.tcp_keepalive_time',
    );
    assert.equal(old.length, 1);
    assert.match(at(old, 0).message, /safe from 1\.29/);
    const current = byRule(await lintFixture(['more-rules.yaml'], { k8sVersion: [1, 29] }), RULE).filter(
      (f) => f.subject.sysctl === 'net.ipv4.tcp_keepalive_time',
    );
    assert.equal(current.length, 0);
  });

  it('valid: the clean manifests', async () => {
    assert.deepEqual(byRule(await lintFixture(['clean.yaml']), RULE), []);
  });
});
