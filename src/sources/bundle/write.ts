import { ToolError } from '../../model/errors.js';
import {
  closeSync,
  constants,
  createWriteStream,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redactor } from '../../redact/redactor.js';
import { makeTempDir } from '../fs/temp-dirs.js';
import { DirSink } from './dir-sink.js';

/** `collect -o` cannot write where it was told: said before anything is sampled (exit 2). */
class OutputPathError extends ToolError {}

/**
 * The output path, checked up front: never a link (root would write through it), never a device or FIFO,
 * its directory must exist; a directory output must be new or empty (nothing planted in it).
 */
function checkOutputPath(out: string): void {
  const toDir = out.endsWith('/');
  const target = toDir ? out.replace(/\/+$/, '') || '/' : out;
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (st?.isSymbolicLink())
    throw new OutputPathError(
      `${out}: is a symbolic link; refusing to write through it (give a path that is not a link)`,
    );
  if (toDir) {
    if (st && !st.isDirectory()) throw new OutputPathError(`${out}: exists and is not a directory`);
    if (st && readdirSync(target).length > 0)
      throw new OutputPathError(`${out}: exists and is not empty; give a new or empty directory`);
  } else if (st && !st.isFile()) {
    throw new OutputPathError(`${out}: exists and is not a regular file`);
  }
  const parent = lstatSync(dirname(target), { throwIfNoEntry: false });
  if (!parent?.isDirectory())
    throw new OutputPathError(`${out}: the directory ${dirname(target)} does not exist; create it first`);
}

/**
 * Gives `fill` a sink that writes a bundle: straight into `out` when it ends in "/", else into a temporary
 * directory that is packed into the .tar.gz `out` and removed. The archive is written to a new file beside
 * `out` (O_EXCL|O_NOFOLLOW) and renamed over it only when complete: no partial file, no link followed.
 */
export async function writeBundle(
  out: string,
  redact: boolean,
  fill: (sink: DirSink) => Promise<void>,
  opts: { base64?: boolean } = {},
): Promise<void> {
  if (out === '-') {
    const tmp = await makeTempDir('netdoctor-collect-');
    try {
      await fill(new DirSink(tmp.dir, redact ? new Redactor(os.endianness()) : undefined));
      await packToStdout(tmp.dir, opts.base64 === true);
    } finally {
      await tmp.remove();
    }
    return;
  }
  checkOutputPath(out);
  const toDir = out.endsWith('/');
  if (toDir) mkdirSync(out, { recursive: true, mode: 0o700 });
  const tmp = toDir ? undefined : await makeTempDir('netdoctor-collect-');
  const dir = tmp?.dir ?? out;
  try {
    await fill(new DirSink(dir, redact ? new Redactor(os.endianness()) : undefined));
    if (!toDir) await packBundle(dir, out);
  } finally {
    await tmp?.remove();
  }
}

/**
 * `collect -o -`: the .tar.gz on stdout, for a pipe or for `netdoctor node NODE`, which runs the collector
 * in a pod and reads it back through the pod's log — a log is text, so there it is base64 in 76-column lines.
 */
async function packToStdout(dir: string, base64: boolean): Promise<void> {
  const entries = (await readdir(dir)).sort();
  const tar = await import('tar');
  const pack = tar.c({ gzip: true, cwd: dir, portable: true }, entries);
  let carry = Buffer.alloc(0);
  const write = (b: Buffer | string) =>
    new Promise<void>((resolve, reject) => {
      process.stdout.write(b, (e) => {
        if (e) reject(e);
        else resolve();
      });
    });
  for await (const chunk of pack as AsyncIterable<Buffer>) {
    if (!base64) {
      await write(chunk);
      continue;
    }
    const all = Buffer.concat([carry, chunk]);
    const whole = all.length - (all.length % 57); // 57 bytes are one 76-character line
    let text = '';
    for (let i = 0; i < whole; i += 57) text += all.subarray(i, i + 57).toString('base64') + '\n';
    carry = all.subarray(whole);
    if (text) await write(text);
  }
  if (base64 && carry.length > 0) await write(carry.toString('base64') + '\n');
}

/** Packs a bundle directory into a .tar.gz whose entries start at the bundle root, atomically. */
async function packBundle(dir: string, file: string): Promise<void> {
  const entries = (await readdir(dir)).sort();
  const tar = await import('tar');
  const partial = join(dirname(file), `.${basename(file)}.partial-${randomBytes(6).toString('hex')}`);
  const fd = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      const sink = createWriteStream('', { fd, autoClose: false });
      const pack = tar.c({ gzip: true, cwd: dir, portable: true }, entries);
      pack.on('error', reject);
      sink.on('error', reject);
      sink.on('finish', () => {
        resolve();
      });
      pack.pipe(sink);
    });
    closeSync(fd);
    renameSync(partial, file);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    unlinkSync(partial);
    throw e;
  }
}
