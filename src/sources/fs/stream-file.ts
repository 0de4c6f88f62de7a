import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;

/**
 * Reads a file in chunks through one reused buffer: a million-socket table is 150 MB, and fresh buffers
 * per chunk would fault in that much new memory. `onChunk` must copy what it keeps. Reads are synchronous:
 * through the thread pool each 1 MiB chunk cost a round trip, a third of the scan time; page-cache and
 * /proc reads do not block for long.
 */
export async function streamFile(path: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    streamFd(fd, onChunk);
  } finally {
    closeSync(fd);
  }
}

/**
 * One buffer for every read of the process: the reads are synchronous, so no two use it at once, and the
 * agent reads hundreds of small /proc files a tick — a fresh 1 MiB each was most of its garbage and RSS.
 */
let shared: Buffer | undefined;

/** The same, for a file already opened (and checked) by the caller. */
export function streamFd(fd: number, onChunk: (chunk: Buffer) => void): void {
  const buf = (shared ??= Buffer.allocUnsafeSlow(CHUNK));
  for (;;) {
    const bytesRead = readSync(fd, buf, 0, CHUNK, null);
    if (bytesRead === 0) break;
    onChunk(buf.subarray(0, bytesRead));
  }
}
