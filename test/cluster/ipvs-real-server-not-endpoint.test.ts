/**
 * ipvs-real-server-not-endpoint on recorded objects (test/fixtures/cluster/ipvs-stale): worker-1 publishes the
 * IPVS table of the captured rolling update (test/fixtures/ipvs/ipvsadm-Ln.rolling-update, turned into the
 * annotation by the agent's own function), where 10.244.3.4 still takes new connections; the EndpointSlice
 * (kubectl get endpointslices -A -o json) lists 10.244.2.3 and the new pod 10.244.5.9. worker-2 is in step.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeClusterDump } from '../../src/engine.js';
import { ipvsAnnotation, parseIpvsAnnotation } from '../../src/model/node-annotations.js';
import { parseIpvsTable } from '../../src/parsers/ipvs.js';
import { CLUSTER_RULES } from '../../src/rules/index.js';
import { assertFindingContract } from '../rules/rule-tester.js';
import { FIXTURES } from '../helpers.js';

const DUMP = join(FIXTURES, 'cluster/ipvs-stale');
const only = (id: string) => CLUSTER_RULES.filter((r) => r.id === id || r.id === 'nodeport-in-ephemeral-range');

describe('ipvs-real-server-not-endpoint', () => {
  it("the agent's annotation is the captured table: weight-0 real servers left out, fwmark services too", () => {
    const table = parseIpvsTable(readFileSync(join(FIXTURES, 'ipvs/ipvsadm-Ln.rolling-update'), 'utf8'), 'ipvsadm-Ln');
    const text = ipvsAnnotation(table.services);
    const nodes = JSON.parse(readFileSync(join(DUMP, 'nodes.json'), 'utf8')) as {
      items: { metadata: { name: string; annotations: Record<string, string> } }[];
    };
    assert.equal(
      nodes.items.find((n) => n.metadata.name === 'worker-1')?.metadata.annotations['netdoctor.io/ipvs-real-servers'],
      text,
    );
    assert.deepEqual(
      [...parseIpvsAnnotation(text).services],
      [
        ['10.96.0.100:80/TCP', ['10.244.2.3:8080', '10.244.3.4:8080']],
        ['10.96.0.200:443/TCP', ['10.244.4.5:8443']],
        ['[fd00:10:96::64]:80/TCP', []],
      ],
    );
    // a table too large for one annotation is cut, and says so
    const many = Array.from({ length: 4000 }, (_, i) => ({
      protocol: 'TCP',
      key: `10.96.${Math.floor(i / 250)}.${i % 250}:80`,
      reals: [{ address: `10.244.${Math.floor(i / 250)}.${i % 250}`, port: 8080, weight: 1 }],
    }));
    const cut = ipvsAnnotation(many);
    assert.ok(cut.length <= 64 * 1024 && cut.endsWith(';…'));
    assert.equal(parseIpvsAnnotation(cut).cut, true);
  });

  it('invalid: the stale real server on worker-1 is an error naming the node, the Service and the stray', async () => {
    const report = await analyzeClusterDump([DUMP], { rules: only('ipvs-real-server-not-endpoint') });
    const findings = report.findings.filter((f) => f.rule === 'ipvs-real-server-not-endpoint');
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.ok(f);
    assertFindingContract(f);
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.subject, { node: 'worker-1', service: 'shop/web', virtual: '10.96.0.100:80/TCP', strays: 1 });
    assert.match(f.message, /to 10\.244\.3\.4:8080, which is not among its endpoints/);
    assert.deepEqual(
      f.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line worker-1: netdoctor.io/ipvs-real-servers: 10.96.0.100:80/TCP=10.244.2.3:8080,10.244.3.4:8080',
        'derived Service shop/web endpoints: 10.244.2.3:8080, 10.244.5.9:8080',
      ],
    );
  });

  it('a Service whose pods are all gone (its EndpointSlice empty): every weighted real server is a stray, on both nodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nd-ipvs-stale-'));
    try {
      cpSync(DUMP, dir, { recursive: true });
      const slices = JSON.parse(readFileSync(join(dir, 'endpointslices.json'), 'utf8')) as {
        items: { metadata: { name: string }; endpoints: unknown[] }[];
      };
      for (const s of slices.items) if (s.metadata.name.startsWith('web-')) s.endpoints = [];
      writeFileSync(join(dir, 'endpointslices.json'), JSON.stringify(slices));
      const report = await analyzeClusterDump([dir], { rules: only('ipvs-real-server-not-endpoint') });
      assert.deepEqual(
        report.findings
          .filter((f) => f.rule === 'ipvs-real-server-not-endpoint')
          .map((f) => [f.subject.node, f.subject.service, f.subject.strays]),
        [
          ['worker-1', 'shop/web', 2],
          ['worker-2', 'shop/web', 2],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('not checked, with the reason: no node publishes its IPVS table; no EndpointSlices read', async () => {
    const none = await analyzeClusterDump([join(FIXTURES, 'cluster/overlap')], {
      rules: only('ipvs-real-server-not-endpoint'),
    });
    assert.deepEqual(
      none.skipped.map((s) => s.reason),
      ['no Node carries netdoctor.io/ipvs-real-servers (the agent publishes it where kube-proxy runs in IPVS mode)'],
    );
    const noSlices = await analyzeClusterDump([join(DUMP, 'nodes.json'), join(DUMP, 'services.json')], {
      rules: only('ipvs-real-server-not-endpoint'),
    });
    assert.match(noSlices.skipped[0]?.reason ?? '', /^no EndpointSlices \(or Endpoints\) were read/);
  });
});
