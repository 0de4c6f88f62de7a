/**
 * nodeport-in-ephemeral-range on recorded API objects (test/fixtures/cluster/: Nodes in the shape of
 * `kubectl get nodes -o json` from a kubeadm 1.31 cluster, with the annotations the agent publishes, and
 * Services as `kubectl get services -A -o json` prints them).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeClusterDump } from '../../src/engine.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { CLUSTER_RULES } from '../../src/rules/index.js';
import { assertFindingContract } from '../rules/rule-tester.js';
import { FIXTURES, runCli } from '../helpers.js';

const DUMP = join(FIXTURES, 'cluster/overlap');
const tmp = mkdtempSync(join(tmpdir(), 'nd-cluster-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const run = (paths: string[]) =>
  analyzeClusterDump(paths, { rules: CLUSTER_RULES, nodePortRange: DEFAULT_NODEPORT_RANGE });

/** The dump with each node's annotations replaced. */
function withAnnotations(name: string, annotations: Record<string, Record<string, string>>): string {
  const dir = join(tmp, name);
  cpSync(DUMP, dir, { recursive: true });
  const nodes = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as {
    items: { metadata: { name: string; annotations: Record<string, string> } }[];
  };
  for (const n of nodes.items) n.metadata.annotations = annotations[n.metadata.name] ?? {};
  writeFileSync(join(dir, 'nodes.json'), JSON.stringify(nodes));
  return dir;
}

describe('nodeport-in-ephemeral-range', () => {
  it('invalid: a node publishing 1024-65535 without reserved ports → error naming the node, the Services and each NodePort', async () => {
    const report = await run([DUMP]);
    assert.equal(report.findings.length, 1);
    const [f] = report.findings;
    assert.ok(f);
    assertFindingContract(f);
    assert.equal(f.rule, 'nodeport-in-ephemeral-range');
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.subject, {
      node: 'worker-1',
      range: '1024-65535',
      nodePorts: '31000,31443,30080,30443',
      services: 2,
    });
    assert.deepEqual(
      f.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line worker-1: netdoctor.io/ephemeral-port-range: 1024-65535',
        'line worker-1: netdoctor.io/reserved-ports: ',
        'derived Service shop/web: nodePort 31000/TCP',
        'derived Service shop/web: nodePort 31443/TCP',
        'derived Service ingress-nginx/ingress-nginx-controller: nodePort 30080/TCP',
        'derived Service ingress-nginx/ingress-nginx-controller: nodePort 30443/TCP',
      ],
    );
  });

  it('valid: reserved ports covering the NodePorts (worker-2) and the default range (worker-3) → nothing for them', async () => {
    const report = await run([DUMP]);
    assert.ok(report.findings.every((f) => f.subject.node === 'worker-1'));
  });

  it('invalid: a node that did not publish its range, with NodePorts in the kernel default → warning, "assumed"', async () => {
    const dir = withAnnotations('assumed', {});
    const services = JSON.parse(readFileSync(join(dir, 'services.json'), 'utf8')) as {
      items: { spec: { ports: { nodePort?: number }[] } }[];
    };
    const web = services.items[1]?.spec.ports[0];
    if (web) web.nodePort = 40000; // a NodePort range moved above 32767 (--service-node-port-range)
    writeFileSync(join(dir, 'services.json'), JSON.stringify(services));
    const report = await run([dir]);
    assert.deepEqual(
      report.findings.map((f) => [f.severity, f.subject.node, f.subject.nodePorts, f.subject.rangeAssumed]),
      [
        ['warning', 'worker-1', '40000', true],
        ['warning', 'worker-2', '40000', true],
        ['warning', 'worker-3', '40000', true],
      ],
    );
    assert.match(report.findings[0]?.message ?? '', /\(assumed: the node did not publish its range\)/);
  });

  it("the NodePort range from kube-apiserver's static pod (--service-node-port-range=40000-42767): in the fix, and a range overlap with no Service in it yet is a warning", async () => {
    const report = await analyzeClusterDump([join(FIXTURES, 'cluster/apiserver-range')], { rules: CLUSTER_RULES });
    assert.deepEqual(report.notes, [
      `NodePort range 40000-42767: kube-system/kube-apiserver-cp-1: --service-node-port-range=40000-42767 (${join(FIXTURES, 'cluster/apiserver-range/kube-apiserver.json')})`,
    ]);
    const findings = report.findings.filter((f) => f.rule === 'nodeport-in-ephemeral-range');
    for (const f of findings) assertFindingContract(f);
    assert.deepEqual(
      findings.map((f) => [f.severity, f.subject.node, f.subject.nodePorts ?? f.subject.overlap]),
      [
        ['error', 'worker-1', '40080'],
        ['warning', 'worker-2', '40101-42767'],
        ['warning', 'worker-3', '40080'],
      ],
    );
    assert.ok(findings.every((f) => f.remediation.includes('ip_local_reserved_ports=40000-42767')));
    assert.match(
      findings[1]?.message ?? '',
      /NodePort range 40000-42767 overlaps the usable ephemeral range 1024-65535 at 40101-42767 \(2,667 ports\): no Service holds such a NodePort yet/,
    );
    assert.equal(
      findings[1]?.evidence.at(-1)?.detail,
      `40000-42767: kube-system/kube-apiserver-cp-1: --service-node-port-range=40000-42767 (${join(FIXTURES, 'cluster/apiserver-range/kube-apiserver.json')})`,
    );
    // --nodeport-range wins over the pod's flag; without either, the default is said to be one
    const given = await analyzeClusterDump([join(FIXTURES, 'cluster/apiserver-range')], {
      rules: CLUSTER_RULES,
      nodePortRange: { lo: 30000, hi: 32767 },
    });
    assert.deepEqual(given.notes, ['NodePort range 30000-32767: --nodeport-range']);
    const unseen = await analyzeClusterDump([DUMP], { rules: CLUSTER_RULES });
    assert.match(
      unseen.notes?.[0] ?? '',
      /^NodePort range 30000-32767: the default 30000-32767 \(no kube-apiserver pod visible/,
    );
  });
  it('a dump without Nodes: not checked, exit 2 with how to dump', async () => {
    const dir = join(tmp, 'services-only');
    cpSync(DUMP, dir, { recursive: true });
    rmSync(join(dir, 'nodes.json'));
    await assert.rejects(run([dir]), /nothing to judge .*0 Nodes and 4 Services found.*kubectl get nodes -o json/);
  });

  it('the CLI: exit 1 on the finding, 2 with no kubeconfig and no dump, a hostile file is a problem and the rest is read', async () => {
    const found = await runCli(['cluster', '--from-dump', DUMP, '--format', 'json']);
    assert.equal(found.code, 1);
    assert.equal((JSON.parse(found.stdout) as { target: { kind: string } }).target.kind, 'cluster');
    const usage = await runCli(['cluster'], { env: { KUBECONFIG: join(tmp, 'no-such-kubeconfig') } });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /no kubeconfig: KUBECONFIG names no existing file .*--from-dump DIR/);
    const dir = join(tmp, 'bad-file');
    cpSync(DUMP, dir, { recursive: true });
    writeFileSync(join(dir, 'broken.json'), '{"items": [');
    const partial = await runCli(['cluster', '--from-dump', dir, '--format', 'json']);
    const report = JSON.parse(partial.stdout) as {
      problems: { artefact: string; reason: string }[];
      findings: unknown[];
    };
    assert.equal(report.findings.length, 1);
    assert.match(report.problems[0]?.reason ?? '', /not JSON/);
  });
});
