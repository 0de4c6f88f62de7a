/**
 * Issue 15's headline: the agent's cost on a node with NS pod namespaces of SOCKETS sockets each (default
 * 50 × 1,000), as CPU % of one core at a 30 s interval and RSS, over TICKS ticks — next to the shell loop an
 * SRE would write (`for ns …; ss -tan | wc -l`) on the same namespaces. Needs root (it builds the namespaces).
 *   node --import tsx bench/agent-footprint.ts        (NS=… SOCKETS=… TICKS=… INTERVAL=… to vary)
 * CPU is the agent's own plus its reaped children's (utime + stime + cutime + cstime from /proc/PID/stat),
 * measured between the end of its first tick and the end of its last, so start-up is left out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeKubeconfig } from '../test/agent/fake-apiserver.js';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';

const NS = Number(process.env.NS ?? 50);
const SOCKETS = Number(process.env.SOCKETS ?? 1000);
// 10 by default: one whole cadence cycle, so the average includes the refresh every 10th tick (socket-cache.ts)
const TICKS = Number(process.env.TICKS ?? 10);
const INTERVAL_S = Number(process.env.INTERVAL ?? 10);
const ROOT = join(import.meta.dirname, '..');
const HELPER = join(ROOT, 'test/scenarios/helpers/sockets.py');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

if (process.getuid?.() !== 0) {
  console.log('agent footprint: needs root (it builds network namespaces); skipped');
  process.exit(0);
}

const names = Array.from({ length: NS }, (_, i) => `nd-bench-${process.pid}-${i}`);
const helpers: ChildProcess[] = [];
let v6: Server | undefined;
const kubeconfigPath = join(tmpdir(), `nd-bench-kubeconfig-${process.pid}`);

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('no stdout'));
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`exited ${c}`)));
  });
}

function helper(ns: string, ...args: string[]): Promise<string> {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', HELPER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  helpers.push(child);
  return firstLine(child);
}

/** CPU seconds of a process and of its reaped children (its subprocesses). */
function cpuSeconds(pid: number): { own: number; children: number; all: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = (Number(f[11]) + Number(f[12])) / CLK_TCK;
  const children = (Number(f[13]) + Number(f[14])) / CLK_TCK;
  return { own, children, all: own + children };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function scrape(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^netdoctor_ticks_total (\d+)/m.exec(text)?.[1] ?? 0);
}

try {
  const half = Math.floor(SOCKETS / 2);
  for (const ns of names) {
    spawnSync('ip', ['netns', 'add', ns]);
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    await helper(ns, 'listen', '127.0.0.1', '8080', '4096', 'accept');
    const r = JSON.parse(await helper(ns, 'connect', '127.0.0.1', '8080', String(half))) as { opened: number };
    if (r.opened !== half) throw new Error(`${ns}: opened ${r.opened} of ${half}`);
  }
  console.log(
    `agent footprint: ${NS} namespaces × ${half * 2} sockets (${(NS * half * 2).toLocaleString('en-US')} in all)`,
  );

  // a node has IPv6 listeners of its own (sshd, kubelet on [::]): the host's tcp6 table is walked every tick
  v6 = createServer().listen(0, '::1');
  await once(v6, 'listening');

  // the shell loop an SRE would write, on the same namespaces
  const loop = `TIMEFORMAT='%U %S'; time (for ns in ${names.join(' ')}; do ip netns exec $ns ss -tan | wc -l >/dev/null; done)`;
  const shell = spawnSync('bash', ['-c', loop], { encoding: 'utf8' });
  const [u, s] = shell.stderr.trim().split('\n').pop()?.split(' ').map(Number) ?? [0, 0];
  const shellCpu = (u ?? 0) + (s ?? 0);

  // the agent as the DaemonSet runs it: talking to an API server (the tests' fake one, which keeps what it
  // is sent), with the NODE_OPTIONS of deploy/base/daemonset.yaml
  const api = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/agent/fake-apiserver-main.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  helpers.push(api);
  const { port: apiPort } = JSON.parse(await firstLine(api)) as { port: number };
  const kubeconfig = writeKubeconfig(kubeconfigPath, apiPort);
  const manifest = readFileSync(join(ROOT, 'deploy/base/daemonset.yaml'), 'utf8');
  const fromManifest = (name: string) => new RegExp(`name: ${name}\\s+value: "?([^"\\n]*)"?`).exec(manifest)?.[1] ?? '';
  // AGENT_NODE_OPTIONS=… / AGENT_MALLOC_ARENA_MAX=… replace the manifest's values, to measure what they buy
  const nodeOptions = process.env.AGENT_NODE_OPTIONS ?? fromManifest('NODE_OPTIONS');
  const arenas = process.env.AGENT_MALLOC_ARENA_MAX ?? fromManifest('MALLOC_ARENA_MAX');
  console.log(
    `  the agent runs with NODE_OPTIONS="${nodeOptions}" MALLOC_ARENA_MAX="${arenas}" (deploy/base/daemonset.yaml) and an API server`,
  );
  // AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": Node flags for the agent (Node refuses them in NODE_OPTIONS)
  const nodeArgs = (process.env.AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const agent = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(ROOT, 'bin/netdoctor'),
      'agent',
      '--kubeconfig',
      kubeconfig,
      '--node-name',
      'worker-1',
      '--netns',
      'all',
      '--interval',
      `${INTERVAL_S}s`,
      '--listen',
      '127.0.0.1:0',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: nodeOptions, MALLOC_ARENA_MAX: arenas },
    },
  );
  const started = JSON.parse(
    await new Promise<string>((resolve) =>
      createInterface({ input: agent.stderr! }).on('line', (l) => {
        if (l.includes('agent started')) resolve(l);
      }),
    ),
  ) as { port: number };
  const pid = agent.pid!;
  // a scrape every SCRAPE seconds: by default once a tick, as the shipped ServiceMonitor scrapes (30 s against
  // the agent's 30 s; deploy/components/prometheus-operator); the scrapes are part of the agent's cost. Between
  // ticks the agent only serves scrapes, so a CPU sample taken after a tick's end and before the next's start
  // counts whole ticks.
  const scrapeEvery = Number(process.env.SCRAPE ?? INTERVAL_S) * 1000;
  const waitTicks = async (n: number) => {
    while ((await scrape(started.port)) < n) await new Promise((r) => setTimeout(r, scrapeEvery));
  };
  await waitTicks(1);
  const cpu0 = cpuSeconds(pid);
  const rss: number[] = [rssMiB(pid)];
  const ticks: number[] = [];
  let before = cpu0.all;
  for (let t = 2; t <= TICKS + 1; t++) {
    await waitTicks(t);
    rss.push(rssMiB(pid));
    const now = cpuSeconds(pid).all;
    ticks.push(now - before);
    before = now;
  }
  const cpu1 = cpuSeconds(pid);
  const perTick = (cpu1.all - cpu0.all) / TICKS;
  const ownPerTick = (cpu1.own - cpu0.own) / TICKS;
  agent.kill('SIGTERM');
  const pct = (s: number, every: number) => ((s / every) * 100).toFixed(2);
  console.log(
    `  agent: ${perTick.toFixed(3)} s CPU per tick (${ownPerTick.toFixed(3)} s its own, the rest its subprocesses) → ${pct(perTick, 30)} % of a core at a 30 s interval (bar: < 1 %)`,
  );
  console.log(`  CPU s per tick: ${ticks.map((c) => c.toFixed(2)).join(' ')}`);
  console.log(`  agent RSS over ${TICKS} ticks: ${rss.map((r) => r.toFixed(0)).join(' → ')} MiB (bar: < 100 MiB)`);
  console.log(
    `  shell loop (ss -tan | wc -l per namespace): ${shellCpu.toFixed(3)} s CPU → ${pct(shellCpu, 30)} % at 30 s`,
  );
  console.log(
    `  ratio: agent / shell loop = ${(perTick / shellCpu).toFixed(2)}× the CPU, for the whole diagnosis vs a socket count`,
  );
} finally {
  v6?.close();
  rmSync(kubeconfigPath, { force: true });
  for (const h of helpers) h.kill('SIGKILL');
  for (const ns of names) {
    for (const p of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean))
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone
      }
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
