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

/**
 * Reads a file of records through the same buffer: `consume(buf, length)` takes the whole records at the
 * start of buf[0, length) and says how many bytes they were; the rest (a record cut by the read) is moved
 * to the front and the next read fills in after it, so no chunk is ever copied whole. A record longer than
 * the buffer grows a buffer of its own (the consumer bounds record sizes). At the end of the file consume is
 * called once more with `atEnd` for what is left (a last line without a line end); returns the bytes left
 * unconsumed then (a record cut short).
 */
export function streamRecords(fd: number, consume: (buf: Buffer, length: number, atEnd: boolean) => number): number {
  let buf = (shared ??= Buffer.allocUnsafeSlow(CHUNK + ALIGN_OFFSET).subarray(ALIGN_OFFSET));
  let kept = 0;
  for (;;) {
    if (kept === buf.length) {
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, kept);
      buf = bigger;
    }
    const bytesRead = readSync(fd, buf, kept, buf.length - kept, null);
    if (bytesRead === 0) return kept > 0 ? kept - consume(buf, kept, true) : 0;
    const length = kept + bytesRead;
    const used = consume(buf, length, false);
    kept = length - used;
    if (used > 0 && kept > 0) buf.copyWithin(0, used, length);
  }
}
