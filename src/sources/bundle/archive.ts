import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Packs a bundle directory into a .tar.gz whose entries start at the bundle root. */
export async function packBundle(dir: string, file: string): Promise<void> {
  const entries = (await readdir(dir)).sort();
  const tar = await import('tar');
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, entries);
}

export interface OpenedBundle {
  dir: string;
  cleanup(): Promise<void>;
}

export class BundleError extends Error {}

/**
 * A bundle as a directory: a directory is used as it is; an archive is unpacked into a temporary one
 * (regular files and directories only, no links, nothing outside it). An archive holding one top
 * directory (`tar czf b.tgz bundle/`) is entered.
 */
export async function openBundle(path: string): Promise<OpenedBundle> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new BundleError(`${path}: no such file or directory`);
  }
  if (s.isDirectory()) return { dir: path, cleanup: async () => {} };
  const tmp = await mkdtemp(join(tmpdir(), 'netdoctor-bundle-'));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    const tar = await import('tar');
    await tar.x({
      file: path,
      cwd: tmp,
      strict: true,
      preservePaths: false,
      filter: (_p, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory' || entry.type === 'OldFile'),
    });
  } catch (e) {
    await cleanup();
    throw new BundleError(`${path}: not a readable .tar.gz bundle (${(e as Error).message})`);
  }
  let dir = tmp;
  const top = await readdir(tmp);
  if (top.length === 1 && !['manifest.json', 'netns', 'host'].includes(top[0]) && (await stat(join(tmp, top[0]))).isDirectory()) {
    dir = join(tmp, top[0]);
  }
  return { dir, cleanup };
}
