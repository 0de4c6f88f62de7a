import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../../redact/redactor.js';
import { packBundle } from './archive.js';
import { DirSink } from './dir-sink.js';

/**
 * Gives `fill` a sink that writes a bundle: straight into `out` when it ends in "/", else into a temporary
 * directory that is packed into the .tar.gz `out` and removed.
 */
export async function writeBundle(out: string, redact: boolean, fill: (sink: DirSink) => Promise<void>): Promise<void> {
  const toDir = out.endsWith('/');
  const dir = toDir ? out : await mkdtemp(join(os.tmpdir(), 'netdoctor-collect-'));
  try {
    await fill(new DirSink(dir, redact ? new Redactor(os.endianness()) : undefined));
    if (!toDir) await packBundle(dir, out);
  } finally {
    if (!toDir) await rm(dir, { recursive: true, force: true });
  }
}
