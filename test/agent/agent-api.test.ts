/**
 * The agent against the fake API server through client-node, in-process, on the captured exhaustion bundle:
 * what the API receives (checked back with Debian's kubectl), and what happens when the API is forbidden,
 * slow or gone — the ticks go on, each failure state is logged once, and the metrics say so.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import { NODE_RULES } from '../../src/rules/index.js';
import { runNodeRules } from '../../src/rules/lib/run.js';
import { parseListen, serve } from '../../src/sources/agent/http.js';
import { loadKubeConfig, nodeApi } from '../../src/sources/kube/client.js';
import { kubeconfigCredentials, lightNodeApi } from '../../src/sources/kube/agent-api.js';
import type { AgentApi } from '../../src/agent/agent.js';
import { readFileSync } from 'node:fs';
import { factsFrom } from '../rules/rule-tester.js';
import { FakeApiServer } from './fake-apiserver.js';

const dir = mkdtempSync(join(tmpdir(), 'nd-agent-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function exhaustedTick() {
  const facts = await factsFrom('exhaustion');
  return { facts, run: runNodeRules(facts, NODE_RULES) };
}

/**
 * Both clients the agent may use: its own (in a pod, or with a token/certificate kubeconfig — the fake
 * server's is one) and client-node (any other kubeconfig). Every test below runs against each.
 */
const CLIENTS: [string, (kubeconfig: string) => AgentApi][] = [
  [
    'node:https',
    (kubeconfig) => {
      const creds = kubeconfigCredentials(readFileSync(kubeconfig, 'utf8'), kubeconfig);
      assert.ok(creds, 'the fake server’s kubeconfig is simple');
      return lightNodeApi(creds, 1_000);
    },
  ],
  ['client-node', (kubeconfig) => nodeApi(loadKubeConfig({ kubeconfig }), 1_000)],
];

for (const [clientName, client] of CLIENTS) {
  function agentFor(server: FakeApiServer, log: Record<string, unknown>[], over: Partial<AgentOptions> = {}) {
    const kubeconfig = server.writeKubeconfig(join(dir, `kubeconfig-${server.port}`));
    return new Agent({
      node: 'worker-1',
      version: 'test',
      diagnose: exhaustedTick,
      api: client(kubeconfig),
      conditions: true,
      events: true,
      log: (e) => log.push(e),
      ...over,
    });
  }

  const metric = (text: string, re: RegExp) => {
    const line = text.split('\n').find((l) => re.test(l));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  describe(`agent ↔ API (${clientName} against the fake API server)`, () => {
    const server = new FakeApiServer();
    before(() => server.start());
    after(() => server.stop());

    it('patches conditions as a strategic merge (kubelet’s kept), posts one valid Event, and kubectl reads them back', async (t) => {
      const log: Record<string, unknown>[] = [];
      const agent = agentFor(server, log);
      await agent.tick();
      await agent.tick();
      const patch = server.requests.find((r) => r.method === 'PATCH');
      assert.equal(patch?.contentType, 'application/strategic-merge-patch+json');
      assert.equal(patch?.status, 200);
      assert.equal(server.condition('worker-1', 'EphemeralPortsExhausted')?.status, 'True');
      assert.equal(server.condition('worker-1', 'Ready')?.status, 'True');
      assert.equal(
        server.requests.filter((r) => r.method === 'PATCH').length,
        1,
        'unchanged conditions are not re-sent each tick',
      );
      const events = server.events.filter((e) => e.reason === 'EphemeralPortExhaustion');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.regarding, {
        apiVersion: 'v1',
        kind: 'Node',
        name: 'worker-1',
        uid: '3f1c2d4e-8a9b-4c7d-9e0f-1a2b3c4d5e6f',
      });
      assert.ok(
        server.requests.every((r) => r.status < 300),
        JSON.stringify(server.requests.filter((r) => r.status >= 300)),
      );
      assert.deepEqual(log, []);

      // asynchronously: the API server answering it runs in this process
      const kubectl = await new Promise<{ status: number | null; stdout: string; stderr: string; missing: boolean }>(
        (resolve) => {
          execFile(
            'kubectl',
            ['--kubeconfig', join(dir, `kubeconfig-${server.port}`), 'get', '--raw', '/api/v1/nodes/worker-1'],
            (error, stdout, stderr) => {
              const code = (error as (Error & { code?: unknown }) | null)?.code;
              resolve({
                status: error ? (typeof code === 'number' ? code : null) : 0,
                stdout,
                stderr,
                missing: code === 'ENOENT',
              });
            },
          );
        },
      );
      if (kubectl.missing)
        return t.skip('kubectl is not installed here (.ci/run installs it): the read-back was not run');
      assert.equal(kubectl.status, 0, kubectl.stderr);
      const node = JSON.parse(kubectl.stdout) as {
        status: { conditions: { type: string; status: string; reason: string }[] };
      };
      const c = node.status.conditions.find((x) => x.type === 'EphemeralPortsExhausted');
      assert.deepEqual([c?.status, c?.reason], ['True', 'EphemeralPortExhaustion']);
    });

    it('403: the ticks go on, the failure is logged once, backed off, and counted; the metrics still show the finding', async () => {
      const forbidden = new FakeApiServer();
      await forbidden.start();
      forbidden.fault = 'forbidden';
      const log: Record<string, unknown>[] = [];
      let clock = Date.parse('2026-12-01T10:00:00Z');
      const agent = agentFor(forbidden, log, { now: () => new Date(clock) });
      try {
        for (let i = 0; i < 4; i++) {
          assert.ok(await agent.tick(), 'the tick succeeded');
          clock += 1_000;
        }
        const calls = forbidden.requests.length;
        assert.equal(calls, 1, 'after the first 403 the agent backs off instead of calling every tick');
        assert.equal(log.filter((l) => l.level === 'warn').length, 1, 'logged once');
        assert.match(String(log[0]?.error), /HTTP 403/);
        clock += 10_000;
        forbidden.fault = 'none';
        await agent.tick();
        assert.equal(
          forbidden.condition('worker-1', 'EphemeralPortsExhausted')?.status,
          'True',
          'sent once the API lets it',
        );
        assert.ok(log.some((l) => l.msg === 'Kubernetes API reachable again'));
        const text = await agent.metrics.text();
        assert.equal(metric(text, /^netdoctor_api_errors_total\{operation="patch node status"\} /), 1);
        assert.equal(metric(text, /^netdoctor_ticks_total /), 5);
        assert.equal(metric(text, /^netdoctor_findings\{rule="ephemeral-port-exhaustion",severity="error"\} /), 1);
      } finally {
        await forbidden.stop();
      }
    });

    it('slow API (beyond the call timeout) and an API that is gone: ticks succeed, api_up 0', async () => {
      const slow = new FakeApiServer();
      await slow.start();
      slow.fault = 'slow';
      slow.slowMs = 3_000;
      const log: Record<string, unknown>[] = [];
      const agent = agentFor(slow, log);
      try {
        const started = Date.now();
        assert.ok(await agent.tick());
        assert.ok(Date.now() - started < 2_500, 'the 1 s call timeout bounded the tick');
        assert.match(String(log[0]?.error), /timed out after 1000 ms/);
        assert.equal(metric(await agent.metrics.text(), /^netdoctor_api_up /), 0);
      } finally {
        await slow.stop();
      }
      const gone = new FakeApiServer();
      await gone.start();
      const goneLog: Record<string, unknown>[] = [];
      const orphan = agentFor(gone, goneLog);
      await gone.stop();
      assert.ok(await orphan.tick());
      assert.match(String(goneLog[0]?.error), /ECONNREFUSED/);
    });

    it('a tick whose diagnosis fails is logged as one JSON-able entry and counted; the next tick runs', async () => {
      const log: Record<string, unknown>[] = [];
      let calls = 0;
      const agent = new Agent({
        node: 'worker-1',
        version: 'test',
        diagnose: async () => {
          if (++calls === 1) throw new Error('netns/4026532 vanished mid-read');
          return exhaustedTick();
        },
        conditions: false,
        events: false,
        log: (e) => log.push(e),
      });
      assert.equal(await agent.tick(), undefined);
      assert.ok(await agent.tick());
      assert.equal(log.length, 1);
      assert.deepEqual([log[0]?.level, log[0]?.msg], ['error', 'tick failed']);
      const text = await agent.metrics.text();
      assert.equal(metric(text, /^netdoctor_tick_failures_total /), 1);
      assert.equal(metric(text, /^netdoctor_ticks_total /), 2);
    });

    it('a namespace that is gone loses its series (kernel counters included): pod churn does not grow /metrics', async () => {
      const { AgentMetrics } = await import('../../src/agent/metrics.js');
      const m = new AgentMetrics({ version: 'test', node: 'worker-1' });
      const { facts, run } = await exhaustedTick();
      const host = facts.netns[0];
      assert.ok(host);
      const pod = { ...host, meta: { ...host.meta, id: 'pod-uid-1', isHost: false, pod: 'web-1', namespace: 'shop' } };
      m.tick({ facts: { ...facts, netns: [host, pod] }, run, durationSeconds: 1 }, new Date());
      assert.match(await m.text(), /netdoctor_kernel_listen_drops_total\{netns="pod-uid-1",pod="shop\/web-1"\}/);
      m.tick({ facts, run, durationSeconds: 1 }, new Date());
      assert.doesNotMatch(await m.text(), /pod-uid-1/);
    });

    it('/metrics is clean under promtool; /readyz waits for a tick; /healthz answers', async (t) => {
      const agent = new Agent({
        node: 'worker-1',
        version: 'test',
        diagnose: exhaustedTick,
        conditions: false,
        events: false,
        log: () => undefined,
      });
      const { server: http, port } = await serve('127.0.0.1:0', {
        metrics: () => agent.metrics.text(),
        ready: () => agent.ready,
      });
      try {
        assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
        await agent.tick();
        assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        const text = await res.text();
        assert.equal(metric(text, /^netdoctor_ephemeral_port_use_ratio\{netns="host",pod=""\} /), 1);
        assert.equal(metric(text, /^netdoctor_nodeport_overlap_ports /), 0);
        const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        if (lint.error) return t.skip('promtool is not installed here (.ci/run installs Debian prometheus)');
        assert.equal(lint.status, 0, lint.stdout + lint.stderr);
      } finally {
        http.close();
      }
    });
  });
}

describe('--listen', () => {
  it('takes :PORT, HOST:PORT, [IPv6]:PORT and a bare port; refuses the rest', () => {
    assert.deepEqual(parseListen(':9808'), { host: undefined, port: 9808 });
    assert.deepEqual(parseListen('9808'), { host: undefined, port: 9808 });
    assert.deepEqual(parseListen('127.0.0.1:9808'), { host: '127.0.0.1', port: 9808 });
    assert.deepEqual(parseListen('[::1]:9808'), { host: '::1', port: 9808 });
    assert.throws(() => parseListen('localhost:99999'), /expected \[HOST\]:PORT/);
    assert.throws(() => parseListen('a:b:9808'), /expected \[HOST\]:PORT/);
  });
});
