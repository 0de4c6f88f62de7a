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

/**
 * The buffer starts 4,080 bytes into its allocation: glibc serves a 1 MiB allocation from mmap with a 16-byte
 * header, so offset 0 sits 16 bytes past a page boundary, and the kernel's copy into a misaligned buffer
 * costs 2.5× the system time (18 vs 7 ms per 143 MiB read, measured here); 4,080 + 16 lands on the page.
 */
const ALIGN_OFFSET = 4080;

/** The same, for a file already opened (and checked) by the caller. */
export function streamFd(fd: number, onChunk: (chunk: Buffer) => void): void {
  const buf = (shared ??= Buffer.allocUnsafeSlow(CHUNK + ALIGN_OFFSET).subarray(ALIGN_OFFSET));
  for (;;) {
    const bytesRead = readSync(fd, buf, 0, CHUNK, null);
    if (bytesRead === 0) break;
    onChunk(buf.subarray(0, bytesRead));
  }
}
