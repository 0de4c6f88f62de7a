/** The incident patterns of SPEC.md failures 1 and 2, in one multi-document file and as Lists (YAML, JSON). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { findingKeys, lintFixture, manifestFixture } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const EXPECTED = [
  'node-sysctl-from-pod nightly-tune 188:27',
  'node-sysctl-from-pod node-tuner 87:21',
  'port-range-overlaps-nodeports nightly-tune 188:52',
  'port-range-overlaps-nodeports node-tuner 88:21',
  'sysctl-init-container-unguarded nightly-report 214:49',
  'sysctl-init-container-unguarded tuned-app 57:21',
  'unsafe-sysctl wide-range-hostnet 30:13',
];

describe('lint: the incident manifests', () => {
  it('finds each pattern on the line and column of the offending node', async () => {
    const report = await lintFixture(['incidents.yaml']);
    assert.deepEqual(findingKeys(report), EXPECTED);
    assert.deepEqual(report.problems, []);
    assert.equal(report.context?.workloads, 8);
  });

  it('plain pods with the guard, or with a pod-level securityContext range, are left alone', async () => {
    const report = await lintFixture(['incidents.yaml']);
    const named = new Set(report.findings.map((f) => f.subject.name));
    for (const clean of ['wide-range', 'guarded-app', 'guarded-tuner'])
      assert.ok(!named.has(clean), `${clean} should have no finding`);
  });

  it('names severities, containers and sysctls in the subject, and the lines as evidence', async () => {
    const report = await lintFixture(['incidents.yaml']);
    const node = report.findings.find((f) => f.rule === 'node-sysctl-from-pod' && f.subject.name === 'node-tuner')!;
    assert.equal(node.severity, 'error');
    assert.deepEqual(
      {
        kind: node.subject.kind,
        namespace: node.subject.namespace,
        container: node.subject.container,
        sysctl: node.subject.sysctl,
      },
      {
        kind: 'DaemonSet',
        namespace: 'kube-system',
        container: 'sysctl',
        sysctl: 'net.core.somaxconn,net.ipv4.ip_local_port_range',
      },
    );
    assert.match(String(node.subject.file), /test\/fixtures\/manifests\/incidents\.yaml$/);
    assert.deepEqual(
      node.evidence.map((e) => e.line),
      [79, 81, 87, 88],
    );
    assert.match(at(node.evidence, 0).detail, /^hostNetwork: true/);
    assert.match(at(node.evidence, 3).detail, /^sysctl -w net\.ipv4\.ip_local_port_range="1024 65535"/);
    const overlap = report.findings.find(
      (f) => f.rule === 'port-range-overlaps-nodeports' && f.subject.name === 'node-tuner',
    )!;
    assert.equal(overlap.subject.overlap, '30000-32767');
    const guardless = report.findings.find(
      (f) => f.subject.name === 'nightly-tune' && f.rule === 'node-sysctl-from-pod',
    )!;
    assert.match(
      guardless.evidence.at(-1)!.detail,
      /\$MY_IP with \$NODE_IP, but they are not status\.podIP and status\.hostIP/,
    );
    const unguarded = report.findings.find(
      (f) => f.rule === 'sysctl-init-container-unguarded' && f.subject.name === 'tuned-app',
    )!;
    assert.equal(unguarded.severity, 'warning');
  });

  for (const list of ['incidents-list.yaml', 'incidents-list.json']) {
    it(`finds the same in ${list}, each pointing at a line that holds what it names`, async () => {
      const report = await lintFixture([list]);
      const lines = readFileSync(manifestFixture(list), 'utf8').split('\n');
      assert.deepEqual(
        report.findings.map((f) => `${f.rule} ${f.subject.name}`).sort(),
        EXPECTED.map((e) => e.split(' ').slice(0, 2).join(' ')).sort(),
      );
      for (const f of report.findings) {
        const text = at(lines, Number(f.subject.line) - 1);
        const key =
          f.rule === 'unsafe-sysctl'
            ? 'net.ipv4.ip_local_port_range'
            : f.rule === 'sysctl-init-container-unguarded' && f.subject.name === 'nightly-report'
              ? '/proc/sys/net/core/somaxconn'
              : 'sysctl -w';
        assert.ok(text.includes(key), `${f.rule} ${f.subject.name} points at line ${f.subject.line}: ${text}`);
      }
    });
  }

  it('a NodePort range the declared range misses gives no overlap', async () => {
    const report = await lintFixture(['incidents.yaml'], { nodePortRange: '200-900' });
    assert.equal(report.findings.filter((f) => f.rule === 'port-range-overlaps-nodeports').length, 0);
  });
});
