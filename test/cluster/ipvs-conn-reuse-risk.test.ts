/** ipvs-conn-reuse-risk on recorded objects: kubeadm's kube-proxy ConfigMap with `mode: "ipvs"`, Nodes on 4.19 and 5.10. */
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

const DUMP = join(FIXTURES, 'cluster/ipvs-old-kernel');
const tmp = mkdtempSync(join(tmpdir(), 'nd-ipvs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rules = CLUSTER_RULES.filter((r) => r.id === 'ipvs-conn-reuse-risk');
const run = (dir: string) => analyzeClusterDump([dir], { rules, nodePortRange: DEFAULT_NODEPORT_RANGE });

describe('ipvs-conn-reuse-risk', () => {
  it('invalid: IPVS mode, two nodes on 4.19 → one warning naming them; the 5.10 node is not', async () => {
    const [f, ...rest] = (await run(DUMP)).findings;
    assert.equal(rest.length, 0);
    assert.ok(f);
    assertFindingContract(f);
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.subject, { configMap: 'kube-system/kube-proxy', nodes: 2, mode: 'ipvs' });
    assert.deepEqual(
      f.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line kube-system/kube-proxy config.conf: mode: "ipvs"',
        'derived worker-1: kernel 4.19.0-26-amd64 (before 5.9)',
        'derived worker-2: kernel 4.19.0-26-amd64 (before 5.9)',
      ],
    );
  });
  it('info: IPVS mode with kube-proxy 1.35 (the kubelet version, said so) is deprecated; on new kernels that note alone', async () => {
    const dir = join(tmp, 'v135');
    cpSync(DUMP, dir, { recursive: true });
    const nodes = readFileSync(join(dir, 'nodes.json'), 'utf8')
      .replaceAll('"v1.31.2"', '"v1.35.1"')
      .replaceAll('4.19.0-26-amd64', '6.12.12-amd64');
    writeFileSync(join(dir, 'nodes.json'), nodes);
    const [f, ...rest] = (await run(dir)).findings;
    assert.equal(rest.length, 0);
    assert.ok(f);
    assertFindingContract(f);
    assert.equal(f.severity, 'info');
    assert.deepEqual(f.subject, { configMap: 'kube-system/kube-proxy', mode: 'ipvs', deprecated: true });
    assert.match(
      f.message,
      /deprecated since 1\.35 \(KEP-5495\).*KubeProxyIPVS feature gate, planned off by default in 1\.40 and locked off in 1\.43/,
    );
    assert.deepEqual(
      f.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line kube-system/kube-proxy config.conf: mode: "ipvs"',
        'derived worker-1: kubelet v1.35.1 (kube-proxy taken to run the same version)',
      ],
    );
  });
  it('valid: the same nodes with kube-proxy in iptables mode', async () => {
    const dir = join(tmp, 'iptables');
    cpSync(DUMP, dir, { recursive: true });
    const cm = readFileSync(join(dir, 'configmaps.json'), 'utf8').replace('mode: \\"ipvs\\"', 'mode: \\"iptables\\"');
    writeFileSync(join(dir, 'configmaps.json'), cm);
    assert.deepEqual((await run(dir)).findings, []);
  });
});
