import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Reading files that belong to someone else: a pod's root (/proc/<pid>/root) or a bundle a stranger sent.
 * Node has no openat2(RESOLVE_IN_ROOT), so the path is walked one component at a time with lstat:
 *  - `links: 'in-root'` (a pod's root): a symbolic link is resolved as the pod sees it, an absolute target
 *    against the pod's root, ".." never above it — never through the host's view of the link;
 *  - `links: 'refuse'` (a bundle): any symbolic link is refused.
 * The last component is opened with O_NOFOLLOW and O_NONBLOCK (a FIFO cannot hang the read), must be a
 * regular file, and must be the very file the walk found (same device and inode), so a component swapped
 * for a link after it was checked is caught. At most `maxBytes` are read.
 */
export class UnsafePathError extends Error {}

const MAX_LINKS = 40;

interface SafeReadOptions {
  links: 'in-root' | 'refuse';
  maxBytes: number;
}

/** The path inside the root that `rel` names, links resolved as the options say; throws UnsafePathError. */
function resolveInside(
  root: string,
  rel: string,
  links: SafeReadOptions['links'],
): { path: string; dev: number; ino: number } {
  let pending = splitPath(rel);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      done.pop(); // never above the root
      continue;
    }
    const here = join(root, ...done, name);
    const st = lstatSync(here, { throwIfNoEntry: false });
    if (!st) throw new UnsafePathError(`${posix.join(...done, name)}: no such file`);
    if (st.isSymbolicLink()) {
      if (links === 'refuse')
        throw new UnsafePathError(`${posix.join(...done, name)}: a symbolic link (only regular files are read)`);
      if (++hops > MAX_LINKS) throw new UnsafePathError(`${rel}: too many symbolic links`);
      const target = readlinkSync(here);
      if (posix.isAbsolute(target)) done.length = 0; // absolute: from the root the process sees, not the host's
      pending = [...splitPath(target), ...pending];
      continue;
    }
    if (pending.length > 0 && !st.isDirectory())
      throw new UnsafePathError(`${posix.join(...done, name)}: not a directory`);
    done.push(name);
    if (pending.length === 0) {
      if (!st.isFile())
        throw new UnsafePathError(
          `${posix.join(...done)}: not a regular file (${kindOf(st)}); only regular files are read`,
        );
      return { path: join(root, ...done), dev: st.dev, ino: st.ino };
    }
  }
  throw new UnsafePathError(`${rel}: names the root itself`);
}

function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

function kindOf(st: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
}): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** A file read whole, safely, or an UnsafePathError saying why not. Larger files are cut at maxBytes (`truncated`). */
export function readSafely(root: string, rel: string, opts: SafeReadOptions): { data: Buffer; truncated: boolean } {
  const found = resolveInside(root, rel, opts.links);
  let fd: number;
  try {
    fd = openSync(found.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new UnsafePathError(
      `${rel}: ${(e as NodeJS.ErrnoException).code === 'ELOOP' ? 'became a symbolic link while being read' : (e as Error).message}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.dev !== found.dev || st.ino !== found.ino)
      throw new UnsafePathError(`${rel}: changed while being read (a component was replaced); not read`);
    const size = Math.min(st.size, opts.maxBytes);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, null);
      if (n === 0) break;
      off += n;
    }
    return { data: buf.subarray(0, off), truncated: st.size > opts.maxBytes };
  } finally {
    closeSync(fd);
  }
}

/** Streams a regular file under a root in chunks, with the same checks; returns false when it is over the cap. */
export function openSafely(root: string, rel: string, links: SafeReadOptions['links']): { fd: number; size: number } {
  const found = resolveInside(root, rel, links);
  const fd = openSync(found.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const st = fstatSync(fd);
  if (!st.isFile() || st.dev !== found.dev || st.ino !== found.ino) {
    closeSync(fd);
    throw new UnsafePathError(`${rel}: changed while being read (a component was replaced); not read`);
  }
  return { fd, size: st.size };
}
