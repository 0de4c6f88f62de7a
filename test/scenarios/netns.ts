/**
 * Real network namespaces for scenario tests: created with a unique prefix, traffic only on their own
 * loopback, deleted (with every process in them) in `destroy`, which tests call in `finally`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

const HELPER = join(ROOT, 'test/scenarios/helpers/sockets.py');
let counter = 0;

function need(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Why scenario tests cannot run here, or undefined when they can. */
export function scenarioSkipReason(extra: string[] = []): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (CI runs these as root)';
  for (const cmd of ['ip', 'nsenter', 'sysctl', 'python3', 'ss', ...extra])
    if (!need(cmd)) return `needs ${cmd} (see .ci/run)`;
  const probe = `nd-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'cannot create network namespaces here';
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

function sh(args: string[]): string {
  const [command = 'true', ...rest] = args;
  const r = spawnSync(command, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export class Netns {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  private constructor(name: string) {
    this.name = name;
  }

  static create(label: string): Netns {
    const name = `nd-${label}-${process.pid}-${++counter}`;
    sh(['ip', 'netns', 'add', name]);
    const ns = new Netns(name);
    try {
      ns.exec(['ip', 'link', 'set', 'lo', 'up']);
    } catch (e) {
      ns.destroy(); // withNetns has not seen it yet, so it would not delete it
      throw e;
    }
    return ns;
  }

  exec(args: string[]): string {
    return sh(['ip', 'netns', 'exec', this.name, ...args]);
  }

  sysctl(key: string, value: string): void {
    this.exec(['sysctl', '-qw', `${key}=${value}`]);
  }

  /** Feeds a rules file to an iptables-*-restore inside the namespace; the real exit status and stderr. */
  restore(tool: string, rules: string, ...flags: string[]): { status: number | null; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, tool, ...flags], { input: rules, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  }

  /** Starts the socket helper; resolves with its first output line (e.g. "ready" or the connect JSON). */
  helper(...args: string[]): Promise<string> {
    return this.script(HELPER, ...args);
  }

  /** Starts a Python helper script in the namespace (killed in `destroy`); its first output line. */
  script(path: string, ...args: string[]): Promise<string> {
    const child = spawn('ip', ['netns', 'exec', this.name, 'python3', path, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.children.push(child);
    const lines = createInterface({ input: child.stdout! });
    return new Promise((resolve, reject) => {
      lines.once('line', (l) => resolve(l));
      child.once('exit', (code) => reject(new Error(`helper ${args.join(' ')} exited ${code} before answering`)));
    });
  }

  async connect(
    host: string,
    port: number,
    count: number,
  ): Promise<{ opened: number; errno?: number; error?: string }> {
    return JSON.parse(await this.helper('connect', host, String(port), String(count)));
  }

  destroy(): void {
    for (const c of this.children) {
      c.stdin?.end();
      c.kill('SIGKILL');
    }
    for (const pid of spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' })
      .stdout?.split('\n')
      .filter(Boolean) ?? []) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** Runs `body` with fresh namespaces and always deletes them. */
export async function withNetns(labels: string[], body: (...ns: Netns[]) => Promise<void>): Promise<void> {
  const all: Netns[] = [];
  try {
    for (const l of labels) all.push(Netns.create(l));
    await body(...all);
  } finally {
    for (const n of all) n.destroy();
  }
}
