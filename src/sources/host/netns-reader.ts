import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSysctls } from '../../parsers/sysctl.js';
import { streamFile } from '../fs/stream-file.js';
import { run, type RunResult } from './run.js';

/** Reads one network namespace's view of /proc/net, its sysctls and its listeners. */
export interface NetnsReader {
  /** stream a file under /proc/net (e.g. "tcp", "stat/nf_conntrack") */
  procNet(file: string, onChunk: (chunk: Buffer) => void): Promise<void>;
  /** the given sysctls in `sysctl -a` format; missing ones are left out */
  sysctls(keys: string[]): Promise<string>;
  /**
   * the TCP listeners as `ss -Htn state listening` prints them: the state filter goes to the kernel, which
   * then walks only the listening hash (`ss -ltn` costs 22–47 ms per namespace on a busy node, this 2–3 ms)
   */
  listeners(): Promise<string>;
  /** a command run inside the namespace (argument array, no shell); stdout streamed to `onStdout` when given */
  exec(argv: string[], onStdout?: (chunk: Buffer) => void): Promise<RunResult>;
}

function execIn(prefix: string[]): NetnsReader['exec'] {
  return (argv, onStdout) => {
    const [cmd = '', ...args] = [...prefix, ...argv]; // the prefix or argv names a program
    return run(cmd, args, { onStdout });
  };
}

const LISTENERS = ['ss', '-Htn', 'state', 'listening'];

/** A command that must succeed: its result, or an error naming the command, its exit status and stderr. */
export async function succeed(
  reader: NetnsReader,
  argv: string[],
  onStdout?: (chunk: Buffer) => void,
): Promise<RunResult> {
  const r = await reader.exec(argv, onStdout);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}${r.stderr ? `: ${r.stderr}` : ''}`);
  return r;
}

/** stdout of a command that must succeed. */
export async function output(reader: NetnsReader, argv: string[]): Promise<string> {
  return (await succeed(reader, argv)).stdout.toString('utf8');
}

/** A small file under /proc/net, whole. */
export async function procNetText(reader: NetnsReader, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  await reader.procNet(file, (c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The namespace this process runs in: plain file reads, no subprocess but ss. */
export function selfReader(procRoot = '/proc'): NetnsReader {
  return {
    procNet: (file, onChunk) => streamFile(join(procRoot, 'self/net', file), onChunk),
    async sysctls(keys) {
      const entries: [string, string][] = [];
      for (const key of keys) await readSysctlTree(join(procRoot, 'sys'), key, entries);
      return formatSysctls(entries);
    },
    listeners() {
      return output(this, LISTENERS);
    },
    exec: execIn([]),
  };
}

async function readSysctlTree(sysRoot: string, key: string, out: [string, string][]): Promise<void> {
  const path = join(sysRoot, ...key.split('.'));
  let s;
  try {
    s = await stat(path);
  } catch {
    return; // not on this kernel, or module not loaded: like `sysctl -e`
  }
  if (s.isDirectory()) {
    for (const name of (await readdir(path)).sort()) await readSysctlTree(sysRoot, `${key}.${name}`, out);
    return;
  }
  try {
    out.push([key, (await readFile(path, 'utf8')).replace(/\n$/, '')]);
  } catch {
    // write-only or permission denied: sysctl -a leaves those out too
  }
}

/**
 * Another namespace. /proc/<pid>/net shows the pid's namespace directly; sysctls are only visible from
 * inside (/proc/sys resolves to the reader's namespace), so they are read through nsenter + sysctl.
 */
export function nsenterReader(nsPath: string, pid: number | undefined, procRoot = '/proc'): NetnsReader {
  const enter = ['nsenter', `--net=${nsPath}`, '--'];
  return {
    async procNet(file, onChunk) {
      if (pid !== undefined) return streamFile(join(procRoot, String(pid), 'net', file), onChunk);
      const [cmd, ...args] = [...enter, 'cat', `/proc/self/net/${file}`];
      const r = await run(cmd, args, { onStdout: onChunk });
      if (r.code !== 0) throw new Error(r.stderr || `cat exited ${r.code}`);
    },
    async sysctls(keys) {
      const [cmd = 'sysctl', ...args] = [...enter, 'sysctl', '-e', ...keys];
      const r = await run(cmd, args);
      if (r.code !== 0 && r.stdout.length === 0) throw new Error(r.stderr || `sysctl exited ${r.code}`);
      return r.stdout.toString('utf8');
    },
    listeners() {
      return output(this, LISTENERS);
    },
    exec: execIn(enter),
  };
}
