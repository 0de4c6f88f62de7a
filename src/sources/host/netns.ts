import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface DiscoveredNetns {
  inode: number;
  /** a file that enters it: /proc/<pid>/ns/net or /run/netns/<name> */
  nsPath: string;
  pids: number[];
  name?: string;
}

const NETNS_DIRS = ['/run/netns', '/var/run/netns'];

export async function netnsInode(path: string): Promise<number | undefined> {
  try {
    const m = /^net:\[(\d+)\]$/.exec(await readlink(path));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every network namespace on the machine: one per inode among /proc/<pid>/ns/net, plus those that only a
 * bind mount keeps alive (`ip netns add`, CNI's /var/run/netns/cni-…).
 */
export async function discoverNetns(procRoot = '/proc', netnsDirs = NETNS_DIRS): Promise<DiscoveredNetns[]> {
  const byInode = new Map<number, DiscoveredNetns>();
  const pids = (await readdir(procRoot))
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    const inode = await netnsInode(join(procRoot, String(pid), 'ns/net'));
    if (inode === undefined) continue;
    const entry = byInode.get(inode);
    if (entry) entry.pids.push(pid);
    else byInode.set(inode, { inode, nsPath: join(procRoot, String(pid), 'ns/net'), pids: [pid] });
  }
  for (const dir of netnsDirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const inode = (await stat(join(dir, name))).ino;
        const entry = byInode.get(inode);
        if (entry) entry.name ??= name;
        else byInode.set(inode, { inode, nsPath: join(dir, name), pids: [], name });
      } catch {
        // not a namespace file, or gone already
      }
    }
  }
  return [...byInode.values()];
}

/** A namespace by name in /run/netns (as `ip netns` lists them). */
export async function namedNetns(name: string, netnsDirs = NETNS_DIRS): Promise<DiscoveredNetns | undefined> {
  if (name.includes('/')) return undefined;
  for (const dir of netnsDirs) {
    try {
      const inode = (await stat(join(dir, name))).ino;
      return { inode, nsPath: join(dir, name), pids: [], name };
    } catch {
      // try the next directory
    }
  }
  return undefined;
}
