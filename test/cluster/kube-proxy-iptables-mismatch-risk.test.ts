/**
 * kube-proxy-iptables-mismatch-risk on recorded API objects: the kube-proxy DaemonSet in the shape kubeadm
 * 1.16 created it (`kubectl get daemonsets -A -o json`), and Nodes on Debian 12.
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
import { FIXTURES } from '../helpers.js';

const DUMP = join(FIXTURES, 'cluster/kube-proxy-legacy');
const tmp = mkdtempSync(join(tmpdir(), 'nd-kp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rules = CLUSTER_RULES.filter((r) => r.id === 'kube-proxy-iptables-mismatch-risk');
const run = (dir: string) => analyzeClusterDump([dir], { rules, nodePortRange: DEFAULT_NODEPORT_RANGE });

function withImage(name: string, image: string, osImage?: string): string {
  const dir = join(tmp, name);
  cpSync(DUMP, dir, { recursive: true });
  const ds = readFileSync(join(dir, 'daemonsets.json'), 'utf8').replace('k8s.gcr.io/kube-proxy:v1.16.15', image);
  writeFileSync(join(dir, 'daemonsets.json'), ds);
  if (osImage) {
    const nodes = readFileSync(join(dir, 'nodes.json'), 'utf8').replaceAll('Debian GNU/Linux 12 (bookworm)', osImage);
    writeFileSync(join(dir, 'nodes.json'), nodes);
  }
  return dir;
}

describe('kube-proxy-iptables-mismatch-risk', () => {
  it('invalid: kube-proxy v1.16 (legacy only) and Debian 12 nodes → error naming the image and the nodes', async () => {
    const [f, ...rest] = (await run(DUMP)).findings;
    assert.equal(rest.length, 0);
    assert.ok(f);
    assertFindingContract(f);
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.subject, {
      image: 'k8s.gcr.io/kube-proxy:v1.16.15',
      daemonSet: 'kube-system/kube-proxy',
      nodes: 3,
    });
    assert.deepEqual(
      f.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line kube-system/kube-proxy: image k8s.gcr.io/kube-proxy:v1.16.15',
        'derived worker-1: osImage Debian GNU/Linux 12 (bookworm) (iptables defaults to nf_tables)',
        'derived worker-2: osImage Debian GNU/Linux 12 (bookworm) (iptables defaults to nf_tables)',
        'derived worker-3: osImage Debian GNU/Linux 12 (bookworm) (iptables defaults to nf_tables)',
      ],
    );
  });
  it('valid: an upstream image that detects the backend (1.17+)', async () => {
    assert.deepEqual((await run(withImage('new', 'registry.k8s.io/kube-proxy:v1.31.2'))).findings, []);
  });
  it('valid: v1.16 on nodes whose iptables defaults to legacy (Debian 9, CentOS 7)', async () => {
    assert.deepEqual(
      (await run(withImage('old-os', 'k8s.gcr.io/kube-proxy:v1.16.15', 'CentOS Linux 7 (Core)'))).findings,
      [],
    );
  });
  it('invalid: a vendor image on nf_tables nodes → info: its version says nothing about iptables-wrapper', async () => {
    const [f] = (await run(withImage('vendor', 'public.ecr.aws/eks-distro/kubernetes/kube-proxy:v1.24.9-eks-1-24-7')))
      .findings;
    assert.deepEqual([f?.severity, f?.subject.upstream], ['info', false]);
  });
});
