import { readdir, readlink, stat } from 'node:fs/promises';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { backendOfBinary } from '../../parsers/kube-proxy-info.js';
import { parseKubeCgroup, readText, runtimeAnnotations } from './identify.js';
import { run } from './run.js';

const IPTABLES_PATHS = [
  '/usr/sbin/iptables',
  '/sbin/iptables',
  '/usr/local/sbin/iptables',
  '/usr/bin/iptables',
  '/bin/iptables',
];
const MAX_HOPS = 16;
/** The end of kube-proxy's log is what matters; 2 MiB holds hours of a healthy log and every recent failure. */
const LOG_TAIL_BYTES = 2 << 20;

/** The kube-proxy process on this machine, described as the host/kube-proxy artefact; undefined when none runs. */
export async function describeKubeProxy(procRoot = '/proc'): Promise<string | undefined> {
  const pid = await findProcess(procRoot, 'kube-proxy');
  if (pid === undefined) return undefined;
  const dir = join(procRoot, String(pid));
  const lines = [`pid: ${pid}`];
  const cmdline = (await readText(join(dir, 'cmdline')))?.split('\0').filter(Boolean).join(' ');
  if (cmdline) lines.push(`command: ${cmdline}`);
  const chain = await iptablesChain(join(dir, 'root'));
  if (chain) {
    lines.push(`iptables: ${chain.join(' -> ')}`);
    const backend = backendOfBinary(basename(chain.at(-1) ?? ''));
    if (backend) lines.push(`backend: ${backend}`);
  }
  const cgroup = await readText(join(dir, 'cgroup'));
  const containerId = cgroup ? parseKubeCgroup(cgroup)?.containerId : undefined;
  const annotations = containerId ? await runtimeAnnotations(containerId) : undefined;
  const image = annotations?.['io.kubernetes.cri.image-name'] ?? annotations?.['io.kubernetes.cri-o.ImageName'];
  if (image) lines.push(`image: ${image}`);
  return lines.join('\n') + '\n';
}

/** The last pid found per name: checked first, so a tick does not read every process's comm again. */
const lastFound = new Map<string, number>();
/**
 * Per name, the processes already read and found to be something else, and how many scans they have been
 * trusted for: a scan reads the comm of new pids only, and all of them every FULL_SCAN_EVERY scans (a pid
 * reused by the process looked for, between two scans, is found at the latest then).
 */
const notIt = new Map<string, { pids: Set<number>; scans: number }>();
const FULL_SCAN_EVERY = 10;

async function findProcess(procRoot: string, name: string): Promise<number | undefined> {
  const key = `${procRoot}\0${name}`;
  const last = lastFound.get(key);
  if (last !== undefined && (await readText(join(procRoot, String(last), 'comm'), 64))?.trim() === name) return last;
  lastFound.delete(key);
  const known = notIt.get(key);
  const trusted = known !== undefined && known.scans < FULL_SCAN_EVERY ? known : undefined;
  const skip = trusted?.pids ?? new Set<number>();
  const pids = (await readdir(procRoot))
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
  const others = new Set<number>();
  for (const pid of pids) {
    if (skip.has(pid)) {
      others.add(pid);
      continue;
    }
    if ((await readText(join(procRoot, String(pid), 'comm'), 64))?.trim() === name) {
      lastFound.set(key, pid);
      notIt.delete(key);
      return pid;
    }
    others.add(pid);
  }
  // only the pids alive now are kept: the set is as large as the process table, never larger
  notIt.set(key, { pids: others, scans: trusted ? trusted.scans + 1 : 1 });
  return undefined;
}

/**
 * The symlink chain of the iptables command inside a process's root, resolved inside that root
 * ("/usr/sbin/iptables -> /etc/alternatives/iptables -> … -> xtables-legacy-multi"): which binary kube-proxy
 * runs, without running it.
 */
export async function iptablesChain(root: string): Promise<string[] | undefined> {
  for (const start of IPTABLES_PATHS) {
    const chain = [start];
    let current = start;
    try {
      await stat(join(root, current));
    } catch {
      continue;
    }
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      let target: string;
      try {
        target = await readlink(join(root, current));
      } catch {
        break; // a regular file: the end of the chain
      }
      current = posix.isAbsolute(target) ? target : posix.join(posix.dirname(current), target);
      chain.push(target);
    }
    return chain;
  }
  return undefined;
}

/** Where nodes keep kube-proxy's log, newest first: the container log under /var/log/pods, else /var/log/containers. */
export async function findKubeProxyLog(logRoot = '/var/log'): Promise<string | undefined> {
  const pods = await newestFirst(join(logRoot, 'pods'), (n) => n.startsWith('kube-system_kube-proxy-'));
  for (const pod of pods) {
    const files = await newestFirst(join(pod, 'kube-proxy'), (n) => /^\d+\.log$/.test(n));
    if (files.length > 0) return files[0];
  }
  const containers = await newestFirst(join(logRoot, 'containers'), (n) =>
    /^kube-proxy-.*_kube-system_kube-proxy-.*\.log$/.test(n),
  );
  return containers[0];
}

async function newestFirst(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(keep);
  } catch {
    return [];
  }
  const withTimes = await Promise.all(
    names.map(async (n) => {
      try {
        return { path: join(dir, n), mtime: (await stat(join(dir, n))).mtimeMs };
      } catch {
        return undefined;
      }
    }),
  );
  return withTimes
    .filter((x) => x !== undefined)
    .sort((a, b) => b.mtime - a.mtime)
    .map((x) => x.path);
}

/** The last `bytes` of a file, from the first whole line. */
export function tailFile(path: string, bytes = LOG_TAIL_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - bytes);
    const buf = Buffer.allocUnsafe(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    const text = buf.subarray(0, got).toString('utf8');
    return from === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/** A systemd-run kube-proxy's recent journal, or undefined when journald has none. */
export async function journalOf(unit: string): Promise<string | undefined> {
  const r = await run('journalctl', ['-u', unit, '-n', '5000', '--no-pager', '-o', 'short-iso']);
  const text = r.stdout.toString('utf8');
  if (r.code !== 0 || !/\S/.test(text.replace(/^-- No entries --$/m, ''))) return undefined;
  return text;
}
