/**
 * `netdoctor cluster` against the API gives the findings `--from-dump` gives on the same objects: the fake
 * API server serves the recorded dumps through client-node's list calls; a list the API refuses is a problem
 * and its rules are not checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeClusterDump, analyzeClusterLive } from '../../src/engine.js';
import type { Finding } from '../../src/model/finding.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { CLUSTER_RULES } from '../../src/rules/index.js';
import { FIXTURES, CLUSTER_DUMPS } from '../helpers.js';
import { FakeApiServer } from '../agent/fake-apiserver.js';

const tmp = mkdtempSync(join(tmpdir(), 'nd-cluster-live-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const judged = { rules: CLUSTER_RULES, nodePortRange: DEFAULT_NODEPORT_RANGE };
/** A finding without where its evidence was read (a file for a dump, the list call for the API). */
const comparable = (f: Finding) => ({ ...f, evidence: f.evidence.map((e) => `${e.kind} ${e.detail}`) });

describe('cluster: live API = --from-dump', () => {
  for (const dump of CLUSTER_DUMPS) {
    it(`${dump}: the same findings through client-node and the fake API server`, async () => {
      const server = new FakeApiServer([]);
      server.seedFromDump(join(FIXTURES, dump));
      await server.start();
      try {
        const kubeconfig = server.writeKubeconfig(join(tmp, `${dump.replace('/', '-')}.kubeconfig`));
        const live = await analyzeClusterLive({ ...judged, kubeconfig });
        const recorded = await analyzeClusterDump([join(FIXTURES, dump)], judged);
        assert.ok(recorded.findings.length > 0);
        assert.deepEqual(live.findings.map(comparable), recorded.findings.map(comparable));
        assert.deepEqual(live.problems, []);
        assert.ok(
          server.requests.every((r) => r.method === 'GET'),
          'read-only',
        );
      } finally {
        await server.stop();
      }
    });
  }

  it('403 on every list: exit 2 with what was refused', async () => {
    const server = new FakeApiServer();
    await server.start();
    server.fault = 'forbidden';
    try {
      const kubeconfig = server.writeKubeconfig(join(tmp, 'forbidden.kubeconfig'));
      await assert.rejects(analyzeClusterLive({ ...judged, kubeconfig }), /kubectl get nodes: refused: 403 Forbidden/);
    } finally {
      await server.stop();
    }
  });
});
