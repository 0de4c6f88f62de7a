import { ToolError } from '../../model/errors.js';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../fs/temp-dirs.js';

interface OpenedBundle {
  dir: string;
  cleanup(): Promise<void>;
}

export class BundleError extends ToolError {}

/** Bounds on unpacking a stranger's archive, checked entry by entry while it streams (not after). */
const ARCHIVE_LIMITS = {
  maxEntries: 100_000,
  maxEntryBytes: 1024 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
};

/**
 * A bundle as a directory: a directory is used as it is; an archive is unpacked into a temporary one
 * (regular files and directories only, no links, nothing outside it, within ARCHIVE_LIMITS; the temporary
 * directory goes on every exit path). An archive holding one top directory (`tar czf b.tgz bundle/`) is
 * entered. Entries refused (links, devices, oversized) are returned as problems.
 */
export async function openBundle(
  path: string,
  limits = ARCHIVE_LIMITS,
): Promise<OpenedBundle & { refused: { path: string; reason: string }[] }> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new BundleError(`${path}: no such file or directory`);
  }
  if (s.isDirectory()) return { dir: path, cleanup: async () => {}, refused: [] };
  if (!s.isFile()) throw new BundleError(`${path}: not a regular file or directory (a FIFO or device is not read)`);
  const tmp = await makeTempDir('netdoctor-bundle-');
  const refused: { path: string; reason: string }[] = [];
  try {
    await unpack(path, tmp.dir, limits, refused);
  } catch (e) {
    await tmp.remove();
    throw new BundleError(`${path}: not a readable .tar.gz bundle (${(e as Error).message})`);
  }
  let dir = tmp.dir;
  const [only, ...more] = await readdir(tmp.dir, { withFileTypes: true });
  if (
    only &&
    more.length === 0 &&
    only.isDirectory() &&
    !['manifest.json', 'netns', 'host', 'logs', 'k8s'].includes(only.name)
  )
    dir = join(tmp.dir, only.name);
  return { dir, cleanup: tmp.remove, refused };
}

/** Streams the archive through gunzip and tar, stopping it the moment a limit is passed. */
async function unpack(
  file: string,
  cwd: string,
  limits: typeof ARCHIVE_LIMITS,
  refused: { path: string; reason: string }[],
): Promise<void> {
  const tar = await import('tar');
  let entries = 0;
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const input = createReadStream(file);
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      input.destroy();
      (unpacker as unknown as { destroy?: () => void }).destroy?.();
      reject(e);
    };
    const unpacker = tar.x({
      cwd,
      strict: true,
      preservePaths: false,
      filter: (p, entry) => {
        const type = 'type' in entry ? entry.type : undefined;
        const size = 'size' in entry && typeof entry.size === 'number' ? entry.size : 0;
        if (++entries > limits.maxEntries) {
          fail(new Error(`more than ${limits.maxEntries} entries`));
          return false;
        }
        if (type !== 'File' && type !== 'Directory' && type !== 'OldFile') {
          refused.push({
            path: p.slice(0, 256),
            reason: `refused: a ${String(type).toLowerCase()} entry (bundles yield regular files only)`,
          });
          return false;
        }
        if (size > limits.maxEntryBytes) {
          refused.push({
            path: p.slice(0, 256),
            reason: `refused: ${size} bytes, over the ${limits.maxEntryBytes / 1024 / 1024} MiB an artefact may have`,
          });
          return false;
        }
        total += size;
        if (total > limits.maxTotalBytes) {
          fail(new Error(`more than ${limits.maxTotalBytes / 1024 / 1024 / 1024} GiB unpacked`));
          return false;
        }
        return true;
      },
    });
    unpacker.on('error', (e: Error) => {
      fail(e);
    });
    input.on('error', (e) => {
      fail(e);
    });
    unpacker.on('close', () => {
      if (!failed) resolve();
    });
    input.pipe(unpacker);
  });
}
