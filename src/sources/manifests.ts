import { ToolError } from '../model/errors.js';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifestFile, type ManifestFile } from '../parsers/manifests.js';

export { STDIN_NAME } from './text.js';
import { MAX_MANIFEST_INPUT } from './limits.js';
import { STDIN_NAME } from './text.js';
const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

export class ManifestInputError extends ToolError {
  override name = 'ManifestInputError';
}

/** Files as given, directories searched for *.yaml, *.yml and *.json (sorted, .git skipped), `-` for stdin. */
export async function readManifests(
  paths: string[],
  stdin: () => Promise<string> = readStdin,
): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push(parseManifestFile(await stdin(), STDIN_NAME));
      continue;
    }
    for (const file of await expand(path)) files.push(parseManifestFile(readManifestFile(file), file));
  }
  return files;
}

async function expand(path: string): Promise<string[]> {
  const info = await stat(path).catch((e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    throw new ManifestInputError(
      `${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}; give manifest files, directories, or - for stdin`,
    );
  });
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) await walk(full);
      else if (e.isFile() && MANIFEST_EXTENSIONS.test(e.name)) out.push(full);
    }
  };
  await walk(path);
  return out;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new ManifestInputError(
      'reading manifests from stdin, but stdin is a terminal; pipe them in, e.g. `helm template . | netdoctor lint -`',
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_INPUT)
      throw new ManifestInputError(
        `stdin: more than ${MAX_MANIFEST_INPUT / 1024 / 1024} MiB of manifests; lint them in parts`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A manifest file: a regular file (never /dev/zero or a FIFO), within the size cap. */
function readManifestFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ManifestInputError(`${file}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new ManifestInputError(
        `${file}: not a regular file (a device or FIFO is not read); pipe its output with lint - instead`,
      );
    if (st.size > MAX_MANIFEST_INPUT)
      throw new ManifestInputError(
        `${file}: ${st.size} bytes, over the ${MAX_MANIFEST_INPUT / 1024 / 1024} MiB a manifest file may have; lint it in parts`,
      );
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
