import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byRule, lintFixture, lintText, nonEmpty } from '../helpers.js';

const RULE = 'sysctl-init-container-unguarded';

const pod = (script: string, env = '') => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: init
    image: busybox
    securityContext: {privileged: true}${env}
    command:
    - sh
    - -c
    - |
${script
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
  containers:
  - {name: app, image: app}
`;
const DOWNWARD = `
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}`;

describe(RULE, () => {
  it('invalid: the incident initContainers on plain pods', async () => {
    const found = byRule(await lintFixture(['incidents.yaml']), RULE);
    assert.deepEqual(
      found.map((f) => [f.subject.name, f.severity, f.subject.line]),
      [
        ['tuned-app', 'warning', 57],
        ['nightly-report', 'warning', 214],
      ],
    );
  });

  for (const guard of [
    'if [ "$POD_IP" != "$HOST_IP" ]; then\n  sysctl -w net.core.somaxconn=1024\nfi',
    'if [ "$HOST_IP" -ne "$POD_IP" ]; then sysctl -w net.core.somaxconn=1024; fi',
    'if test "${POD_IP}" != "${HOST_IP}"\nthen\n  echo 1024 > /proc/sys/net/core/somaxconn\nfi',
    '[ "$POD_IP" != "$HOST_IP" ] && sysctl -w net.core.somaxconn=1024',
    '[ "$POD_IP" = "$HOST_IP" ] || sysctl -w net.core.somaxconn=1024',
    '[ "$POD_IP" == "$HOST_IP" ] && exit 0\nsysctl -w net.core.somaxconn=1024',
    'if [ "$POD_IP" = "$HOST_IP" ]; then\n  echo host network, skipping\n  exit 0\nfi\nsysctl -w net.core.somaxconn=1024',
    'if [ "$POD_IP" = "$HOST_IP" ]; then\n  exit 0\nelse\n  sysctl -w net.core.somaxconn=1024\nfi',
    'if ! [ "$POD_IP" = "$HOST_IP" ]; then sysctl -w net.core.somaxconn=1024; fi',
  ]) {
    it(`valid: guarded by ${JSON.stringify(guard.split('\n')[0])}`, async () => {
      assert.deepEqual(byRule(await lintText(pod(guard, DOWNWARD)), RULE), []);
    });
  }

  for (const script of [
    'sysctl -w net.core.somaxconn=1024',
    'if [ "$POD_IP" != "$HOST_IP" ]; then echo ok; fi\nsysctl -w net.core.somaxconn=1024',
    'if [ "$POD_IP" = "$HOST_IP" ]; then sysctl -w net.core.somaxconn=1024; fi',
    '[ "$POD_IP" != "$HOST_IP" ] || sysctl -w net.core.somaxconn=1024',
  ]) {
    it(`invalid: ${JSON.stringify(script)}`, async () => {
      const [f] = byRule(await lintText(pod(script, DOWNWARD)), RULE);
      assert.equal(f?.subject.sysctl, 'net.core.somaxconn');
    });
  }

  it('invalid: the guard without POD_IP/HOST_IP from the downward API', async () => {
    const [f] = nonEmpty(
      byRule(await lintText(pod('if [ "$POD_IP" != "$HOST_IP" ]; then sysctl -w net.core.somaxconn=1024; fi')), RULE),
    );
    assert.match(f.evidence.at(-1)!.detail, /not status\.podIP and status\.hostIP/);
  });

  it('valid: non-net sysctls and hostNetwork pods (node-sysctl-from-pod reports those)', async () => {
    assert.deepEqual(byRule(await lintText(pod('sysctl -w vm.max_map_count=262144')), RULE), []);
    assert.deepEqual(
      byRule(
        await lintText(pod('sysctl -w net.core.somaxconn=1024').replace('spec:\n', 'spec:\n  hostNetwork: true\n')),
        RULE,
      ),
      [],
    );
  });
});
