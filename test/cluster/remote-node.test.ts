/**
 * `netdoctor node NODE` from outside the node, end to end: the real CLI → client-node → the fake API
 * server, whose "kubelet" runs the collector pod's command for real inside a network namespace where the
 * test widened the ephemeral range over the NodePorts → the bundle streamed back through the pod's log →
 * the report. Also through kubectl's plugin dispatch, and the failure paths: Pod Security refusing the pod,
 * Ctrl-C mid-collection. Every collector pod is deleted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN } from '../helpers.js';
import { scenarioSkipReason, withNetns, type Netns } from '../scenarios/netns.js';
import { FakeApiServer, type Kubelet } from '../agent/fake-apiserver.js';

const skip = scenarioSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'nd-remote-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, onStart?: (kill: () => void) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    onStart?.(() => child.kill('SIGINT'));
    // a command that is not installed (kubectl on a bare machine) answers like a shell would: 127
    child.on('error', () => resolve({ code: 127, stdout, stderr: `${cmd}: ENOENT` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The kubelet of a node that is a test namespace: the pod's command, run in it (one kernel: --netns self). */
function kubeletIn(ns: Netns): Kubelet {
  return async (pod) => {
    const args = (pod.spec.containers[0]?.args ?? []).map((a) => a);
    const at = args.indexOf('all');
    if (at > 0 && args[at - 1] === '--netns') args.splice(at - 1, 2, '--netns', 'self', '--as-node', '--interval', '0');
    return run('ip', ['netns', 'exec', ns.name, BIN, ...args]).then((r) => ({ stdout: r.stdout, code: r.code ?? 1 }));
  };
}

describe('netdoctor node NODE through the API', { skip }, () => {
  const server = new FakeApiServer();
  let kubeconfig = '';
  before(async () => {
    await server.start();
    kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  after(() => server.stop());

  it('finds the range overlap on worker-1, in one report, and deletes the pod; the same through `kubectl netdoctor`', (t) =>
    withNetns(['remote'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
      server.kubelet = kubeletIn(ns);
      const r = await run(BIN, ['node', 'worker-1', '--kubeconfig', kubeconfig, '--format', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as {
        target: { kind: string; name: string };
        findings: { rule: string; subject: Record<string, unknown> }[];
      };
      assert.deepEqual(report.target, { kind: 'node', name: 'worker-1' });
      const f = report.findings.find((x) => x.rule === 'ephemeral-range-overlaps-nodeports');
      assert.equal(f?.subject.range, '1024-65535');
      assert.equal(server.pods.size, 0, 'the collector pod was deleted');
      const created = server.requests.find((q) => q.method === 'POST' && q.path.includes('/pods'));
      const spec = (created?.body as { spec: Record<string, unknown> }).spec;
      assert.deepEqual([spec.nodeName, spec.hostPID, spec.hostNetwork], ['worker-1', true, true]);
      assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);

      const plugins = join(dir, 'plugins');
      rmSync(plugins, { recursive: true, force: true });
      spawn('mkdir', ['-p', plugins]);
      await new Promise((res) => setTimeout(res, 100));
      symlinkSync(BIN, join(plugins, 'kubectl-netdoctor'));
      const viaKubectl = await run(
        'kubectl',
        [
          'netdoctor',
          'node',
          'worker-1',
          '--kubeconfig',
          kubeconfig,
          '--context',
          'fake',
          '-n',
          'netdoctor',
          '--format',
          'json',
        ],
        {
          ...process.env,
          PATH: `${plugins}:${process.env.PATH ?? ''}`,
        },
      );
      if (viaKubectl.stderr.includes('ENOENT') || viaKubectl.code === 127)
        return t.skip('kubectl is not installed here (.ci/run installs it): plugin dispatch was not run');
      assert.equal(viaKubectl.code, 1, viaKubectl.stderr);
      assert.ok(
        (JSON.parse(viaKubectl.stdout) as { findings: { rule: string }[] }).findings.some(
          (x) => x.rule === 'ephemeral-range-overlaps-nodeports',
        ),
      );
      assert.equal(server.pods.size, 0);
    }));

  it('Pod Security refusing the pod: exit 2, and the label to add', async () => {
    server.podSecurityBaseline = true;
    try {
      const r = await run(BIN, ['node', 'worker-1', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /kubectl label ns netdoctor pod-security\.kubernetes\.io\/enforce=privileged/);
    } finally {
      server.podSecurityBaseline = false;
    }
  });

  it('Ctrl-C while the pod collects: the pod is deleted all the same', async () => {
    server.kubelet = () => new Promise(() => undefined); // a collection that never ends
    const r = await run(BIN, ['node', 'worker-1', '--kubeconfig', kubeconfig], process.env, (kill) => {
      const poll = setInterval(() => {
        if (server.pods.size > 0) {
          clearInterval(poll);
          setTimeout(kill, 300);
        }
      }, 50);
    });
    assert.notEqual(r.code, 0);
    assert.equal(server.pods.size, 0, `deleted on interrupt; stderr: ${r.stderr}`);
    assert.ok(server.requests.some((q) => q.method === 'DELETE'));
  });
});

describe('netdoctor pod NS/NAME through the API', { skip }, () => {
  const server = new FakeApiServer();
  let kubeconfig = '';
  const workload = (name: string, hostNetwork: boolean) => ({
    metadata: {
      name,
      namespace: 'shop',
      uid: `0a1b2c3d-0000-4000-8000-${name === 'web-1' ? '000000000001' : '000000000002'}`,
    },
    spec: { nodeName: 'worker-1', hostNetwork, containers: [{ name: 'web', image: 'nginx:1.27' }] },
    status: { phase: 'Running' },
    log: '',
  });
  before(async () => {
    await server.start();
    kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig-pod'));
    server.pods.set('shop/web-1', workload('web-1', true));
    server.pods.set('shop/api-1', workload('api-1', false));
  });
  after(() => server.stop());
  const collectors = () => [...server.pods.keys()].filter((k) => k.startsWith('netdoctor/'));

  it("a hostNetwork pod whose node ran out of ports: the pod's report names the exhaustion; pod deleted", () =>
    withNetns(['pod'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
      assert.equal(await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept'), 'ready');
      assert.equal((await ns.connect('127.0.0.1', 8080, 50)).errno, 99);
      server.kubelet = kubeletIn(ns);
      const r = await run(BIN, ['pod', 'shop/web-1', '--kubeconfig', kubeconfig, '--format', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as {
        target: { name: string };
        findings: { rule: string; subject: Record<string, unknown> }[];
      };
      assert.equal(report.target.name, 'pod shop/web-1 on worker-1');
      const f = report.findings.find((x) => x.rule === 'ephemeral-port-exhaustion');
      assert.deepEqual([f?.subject.remotePort, f?.subject.used, f?.subject.usable], [8080, 10, 10]);
      assert.deepEqual(collectors(), []);

      const other = await run(BIN, ['pod', 'api-1', '-n', 'shop', '--kubeconfig', kubeconfig, '--format', 'json']);
      const notes = (JSON.parse(other.stdout) as { notes?: string[] }).notes ?? [];
      assert.ok(
        notes.some((n) => /its network namespace was not found on worker-1/.test(n)),
        notes.join('\n'),
      );
      assert.deepEqual(collectors(), []);
    }));

  it('a pod that does not exist: exit 2 with the API answer', async () => {
    const r = await run(BIN, ['pod', 'shop/nope', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /reading pod shop\/nope: 404 — pods "nope" not found/);
  });
});
