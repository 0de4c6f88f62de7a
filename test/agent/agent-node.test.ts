/**
 * The real agent (bin/netdoctor agent) against a failure built in a network namespace, talking to the fake
 * API server with client-node: the exhaustion makes EphemeralPortsExhausted True with its reason, one Event
 * (not one per tick), metrics that say so (scraped over HTTP, checked by promtool), a status file that
 * node-problem-detector's plugin turns into exit 1; widening the range clears it: False, and a Cleared Event.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { BIN, ROOT } from '../helpers.js';
import { scenarioSkipReason, withNetns, type Netns } from '../scenarios/netns.js';
import { writeKubeconfig } from './fake-apiserver.js';

const skip = scenarioSkipReason(['curl']);
const NPD_PLUGIN = join(ROOT, 'deploy/components/node-problem-detector/netdoctor-status.sh');

interface State {
  requests: { method: string; path: string; status: number; contentType?: string }[];
  nodes: {
    metadata: { name: string; annotations?: Record<string, string> };
    status: { conditions: { type: string; status: string; reason?: string; message?: string }[] };
  }[];
  events: { reason: string; action: string; type: string; note: string; regarding: { kind: string; name: string } }[];
}

/** Starts a process in the namespace and resolves with the first stdout/stderr line that `match` accepts. */
function startIn(ns: Netns, args: string[], stream: 'stdout' | 'stderr', match: (line: string) => boolean) {
  const child = spawn('ip', ['netns', 'exec', ns.name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const first = new Promise<string>((resolve, reject) => {
    createInterface({ input: child[stream] }).on('line', (l) => {
      lines.push(l);
      if (match(l)) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${lines.join('\n')}`)));
  });
  if (stream === 'stdout') createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  else createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  return { child, first, lines };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readState(file: string): State | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as State;
  } catch {
    return undefined; // mid-write
  }
}

function condition(state: State | undefined, type: string) {
  return state?.nodes.find((n) => n.metadata.name === 'worker-1')?.status.conditions.find((c) => c.type === type);
}

function scrape(ns: Netns, port: number): string {
  return ns.exec(['curl', '-sf', `http://127.0.0.1:${port}/metrics`]);
}

function metric(text: string, line: RegExp): number | undefined {
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
}

describe('agent on a node whose ephemeral ports ran out', { skip }, () => {
  it('condition True with the reason, one Event, metrics and NPD status; cleared when the range widens', () =>
    withNetns(['agent'], async (ns) => {
      const dir = mkdtempSync(join(tmpdir(), 'nd-agent-'));
      const children: ChildProcess[] = [];
      try {
        ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
        assert.equal(await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept'), 'ready');
        assert.equal((await ns.connect('127.0.0.1', 8080, 50)).errno, 99, 'the 11th connect() fails: EADDRNOTAVAIL');

        // listeners on fixed ports: listen() on port 0 needs a free ephemeral port, and there is none left
        const stateFile = join(dir, 'api-state.json');
        const api = startIn(
          ns,
          [
            process.execPath,
            '--import',
            'tsx',
            join(ROOT, 'test/agent/fake-apiserver-main.ts'),
            '--state',
            stateFile,
            '--port',
            '6443',
          ],
          'stdout',
          (l) => l.startsWith('{'),
        );
        children.push(api.child);
        const { port: apiPort } = JSON.parse(await api.first) as { port: number };
        const kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), apiPort);
        const statusDir = join(dir, 'status');
        const agent = startIn(
          ns,
          [
            BIN,
            'agent',
            '--kubeconfig',
            kubeconfig,
            '--node-name',
            'worker-1',
            '--netns',
            'self',
            '--as-node',
            '--interval',
            '5s',
            '--sample-interval',
            '200ms',
            '--listen',
            '127.0.0.1:9808',
            '--status-dir',
            statusDir,
          ],
          'stderr',
          (l) => l.includes('"agent started"'),
        );
        children.push(agent.child);
        const { port } = JSON.parse(await agent.first) as { port: number };

        const exhausted = await until('EphemeralPortsExhausted=True', () => {
          const c = condition(readState(stateFile), 'EphemeralPortsExhausted');
          return c?.status === 'True' ? c : undefined;
        });
        assert.equal(exhausted.reason, 'EphemeralPortExhaustion');
        assert.match(exhausted.message ?? '', /127\.0\.0\.1:8080/);
        const state = readState(stateFile);
        assert.ok(
          state?.requests.some(
            (r) =>
              r.method === 'PATCH' && r.contentType === 'application/strategic-merge-patch+json' && r.status === 200,
          ),
        );
        assert.equal(
          condition(state, 'Ready')?.status,
          'True',
          "kubelet's conditions are kept: the patch merged by type",
        );
        // the range as the kernel holds it, for `netdoctor cluster` (nodeport-in-ephemeral-range); the recorded
        // node's own annotations are kept (merged by key)
        assert.deepEqual(state?.nodes.find((n) => n.metadata.name === 'worker-1')?.metadata.annotations, {
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          'netdoctor.io/ephemeral-port-range': '40000-40009',
          'netdoctor.io/reserved-ports': '',
        });

        // two more ticks: the finding holds, the Event is not repeated
        await until('two more ticks', () => {
          const n = metric(scrape(ns, port), /^netdoctor_ticks_total /);
          return n !== undefined && n >= 3 ? n : undefined;
        });
        const detected = (readState(stateFile)?.events ?? []).filter((e) => e.reason === 'EphemeralPortExhaustion');
        assert.equal(detected.length, 1, 'one Event, not one per tick');
        assert.deepEqual(
          [detected[0]?.action, detected[0]?.type, detected[0]?.regarding.kind],
          ['Detected', 'Warning', 'Node'],
        );

        const text = scrape(ns, port);
        assert.equal(metric(text, /^netdoctor_findings\{rule="ephemeral-port-exhaustion",severity="error"\} /), 1);
        assert.equal(metric(text, /^netdoctor_ephemeral_port_use_ratio\{netns="host",pod=""\} /), 1);
        assert.equal(metric(text, /^netdoctor_ephemeral_usable_ports\{netns="host",pod=""\} /), 10);
        assert.equal(metric(text, /^netdoctor_api_up /), 1);
        if (spawnSync('sh', ['-c', 'command -v promtool']).status === 0) {
          const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
          assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
        }
        assert.equal(
          ns.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/readyz`]),
          '200',
        );

        const npd = spawnSync('sh', [NPD_PLUGIN, 'EphemeralPortsExhausted'], {
          encoding: 'utf8',
          env: { ...process.env, NETDOCTOR_STATUS_DIR: statusDir },
        });
        assert.equal(npd.status, 1, 'NPD plugin: problem');
        assert.ok(Buffer.byteLength(npd.stdout.trim()) <= 80);
        assert.match(npd.stdout, /^EphemeralPortExhaustion: Ephemeral ports from 127\.0\.0\.1 to 127\.0\.0\.1:8080/);

        // the fix: a wide range; the condition clears and a Cleared Event says so
        ns.sysctl('net.ipv4.ip_local_port_range', '32768 60999');
        const cleared = await until('EphemeralPortsExhausted=False', () => {
          const c = condition(readState(stateFile), 'EphemeralPortsExhausted');
          return c?.status === 'False' ? c : undefined;
        });
        assert.equal(cleared.reason, 'EphemeralPortsAvailable');
        const republished = await until('the new range published', () => {
          const a = readState(stateFile)?.nodes.find((n) => n.metadata.name === 'worker-1')?.metadata.annotations;
          return a?.['netdoctor.io/ephemeral-port-range'] === '32768-60999' ? a : undefined;
        });
        assert.equal(republished['netdoctor.io/reserved-ports'], '');
        const events = await until('the Cleared Event', () => {
          const all = (readState(stateFile)?.events ?? []).filter((e) => e.reason === 'EphemeralPortExhaustion');
          return all.length >= 2 ? all : undefined;
        });
        assert.deepEqual(
          events.map((e) => e.action),
          ['Detected', 'Cleared'],
        );
        const okNpd = spawnSync('sh', [NPD_PLUGIN, 'EphemeralPortsExhausted'], {
          encoding: 'utf8',
          env: { ...process.env, NETDOCTOR_STATUS_DIR: statusDir },
        });
        assert.equal(okNpd.status, 0);
        assert.equal(agent.lines.filter((l) => l.includes('"level":"error"')).length, 0, agent.lines.join('\n'));
      } finally {
        for (const c of children) c.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    }));
});
