import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byRule, lintFixture, lintText, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const RULE = 'node-sysctl-from-pod';

describe(RULE, () => {
  it('invalid: a hostNetwork DaemonSet writing the range, even with its NodePorts reserved', async () => {
    const [f, ...rest] = nonEmpty(
      byRule(await lintFixture(['more-rules.yaml']), RULE).filter((x) => x.subject.name === 'reserved-tuner'),
    );
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.subject.sysctl, 'net.ipv4.ip_local_reserved_ports,net.ipv4.ip_local_port_range');
    assert.match(at(f.evidence, 1).detail, /capabilities SYS_ADMIN,NET_ADMIN/);
  });

  it('invalid: nsenter -t 1 -n from a hostPID pod, without hostNetwork', async () => {
    const [f] = nonEmpty(
      byRule(await lintFixture(['more-rules.yaml']), RULE).filter((x) => x.subject.name === 'nsenter-tuner'),
    );
    assert.equal(f.subject.sysctl, 'net.ipv4.tcp_tw_reuse');
    assert.match(f.message, /nsenter -t 1 -n, hostPID/);
    assert.match(f.evidence.at(-1)!.detail, /through nsenter into pid 1/);
  });

  it('valid: without hostPID, nsenter -t 1 is the pod itself', async () => {
    const report = await lintText(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: alpine
    command: ["nsenter", "-t", "1", "-n", "sysctl", "-w", "net.ipv4.tcp_tw_reuse=1"]
    securityContext: {privileged: true}
`);
    assert.deepEqual(byRule(report, RULE), []);
  });

  it('valid: unprivileged writers cannot write /proc/sys; guarded writers skip the host network', async () => {
    const report = await lintFixture(['more-rules.yaml', 'incidents.yaml']);
    const names = byRule(report, RULE).map((f) => f.subject.name);
    for (const n of ['unprivileged-writer', 'guarded-tuner']) assert.ok(!names.includes(n), n);
  });

  it('invalid: a sysctl -p of a mounted file on the host network', async () => {
    const report = await lintText(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: loader}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: alpine
        command: ["sysctl", "-p", "/etc/netdoctor/sysctl.conf"]
        securityContext: {privileged: true}
`);
    const [f] = nonEmpty(byRule(report, RULE));
    assert.equal(f.subject.sysctl, 'the keys in /etc/netdoctor/sysctl.conf');
    assert.equal(f.subject.line, 11);
  });
});
