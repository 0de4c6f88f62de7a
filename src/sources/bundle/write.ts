import os from 'node:os';
import { makeTempDir } from '../fs/temp-dirs.js';
import { Redactor } from '../../redact/redactor.js';
import { packBundle } from './archive.js';
import { DirSink } from './dir-sink.js';

/**
 * Gives `fill` a sink that writes a bundle: straight into `out` when it ends in "/", else into a temporary
 * directory that is packed into the .tar.gz `out` and removed.
 */
export async function writeBundle(out: string, redact: boolean, fill: (sink: DirSink) => Promise<void>): Promise<void> {
  const toDir = out.endsWith('/');
  const tmp = toDir ? undefined : await makeTempDir('netdoctor-collect-');
  const dir = tmp?.dir ?? out;
  try {
    await fill(new DirSink(dir, redact ? new Redactor(os.endianness()) : undefined));
    if (!toDir) await packBundle(dir, out);
  } finally {
    await tmp?.remove();
  }
}
