/**
 * Every shipped manifest, as kustomize renders it (Debian's kubectl), is valid against the Kubernetes
 * OpenAPI schemas (kubernetes-models' validators, and the Prometheus Operator's for its CRDs), and says what
 * the agent needs and no more. The alert expressions pass `promtool check rules`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers.js';

const require = createRequire(import.meta.url);
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skip = kubectl.error ? 'needs kubectl (Debian package kubectl; .ci/run installs it)' : undefined;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

function render(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

/** The kubernetes-models class for an apiVersion and kind: its validate() applies the OpenAPI schema. */
async function validator(o: K8sObject): Promise<{ validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const module =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  // the Prometheus Operator models are ESM only
  const loaded = (group === 'monitoring.coreos.com' ? await import(module) : require(module)) as Record<
    string,
    new (o: unknown) => { validate(): void }
  >;
  const Model = loaded[o.kind];
  assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
  return new Model(o);
}

describe('deploy/: the manifests', { skip }, () => {
  for (const dir of ['deploy/base', 'deploy/overlays/full', 'deploy/user-rbac']) {
    it(`${dir}: renders, and every object is valid against its OpenAPI schema`, async () => {
      const objects = render(dir);
      assert.ok(objects.length >= 4);
      for (const o of objects) {
        const model = await validator(o);
        assert.doesNotThrow(() => model.validate(), `${o.kind} ${o.metadata.name}`);
      }
    });
  }

  it('the schema check bites: a DaemonSet with a wrong field type is refused', async () => {
    const ds = render('deploy/base').find((o) => o.kind === 'DaemonSet') as K8sObject & {
      spec: { template: { spec: { hostPID: unknown } } };
    };
    ds.spec.template.spec.hostPID = 'yes';
    const model = await validator(ds);
    assert.throws(() => model.validate(), /hostPID must be boolean/);
  });

  it('RBAC is exactly: get nodes, patch nodes/status, create/patch events in both groups, get pods', () => {
    const role = render('deploy/base').find((o) => o.kind === 'ClusterRole') as K8sObject & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const grants = role.rules
      .flatMap((r) =>
        r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || 'core'} ${res} ${v}`))),
      )
      .sort();
    assert.deepEqual(grants, [
      'core events create',
      'core events patch',
      'core nodes get',
      'core nodes/status patch',
      'core pods get',
      'events.k8s.io events create',
      'events.k8s.io events patch',
    ]);
  });

  it('the DaemonSet: hostPID and hostNetwork, capabilities not privileged, read-only root, every taint tolerated', () => {
    const ds = render('deploy/base').find((o) => o.kind === 'DaemonSet') as K8sObject & {
      spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } };
    };
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostPID, true);
    assert.equal(pod.hostNetwork, true);
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    const c = pod.containers[0] as { securityContext: Record<string, unknown>; args: string[]; resources: unknown };
    assert.equal(c.securityContext.privileged, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual((c.securityContext.capabilities as { drop: string[] }).drop, ['ALL']);
    assert.ok(c.args.includes('agent'));
    assert.ok(c.resources);
  });

  it('with node-problem-detector the agent sets no conditions of its own and writes status files', () => {
    const objects = render('deploy/overlays/full');
    const ds = objects.find((o) => o.kind === 'DaemonSet') as K8sObject & {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = ds.spec.template.spec.containers[0]?.args ?? [];
    assert.ok(args.includes('--no-conditions'));
    assert.ok(args.includes('--status-dir=/var/run/netdoctor'));
    const cm = objects.find((o) => o.kind === 'ConfigMap') as K8sObject & { data: Record<string, string> };
    const monitor = JSON.parse(cm.data['netdoctor-monitor.json'] ?? '{}') as {
      pluginConfig: { max_output_length: number };
      rules: { condition: string; path: string; args: string[] }[];
      conditions: { type: string }[];
    };
    assert.equal(monitor.pluginConfig.max_output_length, 80);
    for (const rule of monitor.rules) {
      assert.equal(rule.path, '/custom-config/netdoctor-status.sh');
      assert.deepEqual(rule.args, [rule.condition]);
      assert.ok(monitor.conditions.some((c) => c.type === rule.condition));
    }
    assert.equal(
      cm.data['netdoctor-status.sh'],
      readFileSync(join(ROOT, 'deploy/components/node-problem-detector/netdoctor-status.sh'), 'utf8'),
    );
  });

  it('the alerts: one per condition class, and promtool accepts every expression', (t) => {
    const rule = render('deploy/overlays/full').find((o) => o.kind === 'PrometheusRule') as K8sObject & {
      spec: { groups: { rules: { alert: string }[] }[] };
    };
    const alerts = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const type of [
      'EphemeralPortsExhausted',
      'EphemeralRangeOverlapsNodePorts',
      'IptablesBackendSplit',
      'KubeProxyRulesFailing',
      'IPVSStaleRealServers',
      'TimeWaitRecycleBehindNAT',
    ])
      assert.ok(alerts.includes(`Netdoctor${type}`), type);
    const dir = mkdtempSync(join(tmpdir(), 'nd-rules-'));
    try {
      const file = join(dir, 'rules.json');
      writeFileSync(file, JSON.stringify(rule.spec));
      const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      if (check.error) return t.skip('promtool not installed here (Debian prometheus; .ci/run installs it)');
      assert.equal(check.status, 0, check.stdout + check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
