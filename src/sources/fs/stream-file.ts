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
 * Room in front of the read position for the record a read cut in two: it is moved there, just before the
 * page-aligned read, so the kernel always copies into an aligned buffer. Reading in after the carried bytes
 * instead put most reads off a page boundary, which on some CPUs makes the kernel's copy several times
 * slower (3.7× on the Intel VM issue 18 measured; no difference on AMD EPYC). A page multiple, past
 * tcpdump's largest snapshot (262,144 bytes) plus its record header; a log line is cut at 16 KiB.
 */
const RESERVE = (1 << 18) + 4096;

/**
 * One buffer for every read of the process: the reads are synchronous, so no two use it at once, and the
 * agent reads hundreds of small /proc files a tick — a fresh 1 MiB each was most of its garbage and RSS.
 * [0, RESERVE) holds a carried record, [RESERVE, RESERVE + CHUNK) is where reads land.
 */
let shared: Buffer | undefined;

/**
 * The buffer starts 4,080 bytes into its allocation: glibc serves a large allocation from mmap with a
 * 16-byte header, so offset 0 sits 16 bytes past a page boundary, and the kernel's copy into a misaligned
 * buffer costs 2.5× the system time (18 vs 7 ms per 143 MiB read, measured here); 4,080 + 16 lands on the page.
 */
const ALIGN_OFFSET = 4080;

const sharedBuffer = (): Buffer =>
  (shared ??= Buffer.allocUnsafeSlow(ALIGN_OFFSET + RESERVE + CHUNK).subarray(ALIGN_OFFSET));

/** The same, for a file already opened (and checked) by the caller. */
export function streamFd(fd: number, onChunk: (chunk: Buffer) => void): void {
  const buf = sharedBuffer();
  for (;;) {
    const bytesRead = readSync(fd, buf, RESERVE, CHUNK, null);
    if (bytesRead === 0) break;
    onChunk(buf.subarray(RESERVE, RESERVE + bytesRead));
  }
}

/**
 * Reads a file of records through the same buffer: `consume(buf, length)` takes the whole records at the
 * start of buf[0, length) and says how many bytes they were; the rest (a record cut by the read) is moved
 * to just before the read position and the next read fills in after it, so no chunk is ever copied whole.
 * A record longer than the reserve is carried in a buffer of its own, twice its size (the consumer bounds
 * record sizes). At the end of the file consume is called once more with `atEnd` for what is left (a last
 * line without a line end); returns the bytes left unconsumed then (a record cut short). The buffer passed
 * to consume is valid only during the call.
 */
export function streamRecords(fd: number, consume: (buf: Buffer, length: number, atEnd: boolean) => number): number {
  const aligned = sharedBuffer();
  // what is not consumed yet: buf[start, end)
  let buf = aligned;
  let start = RESERVE;
  let end = RESERVE;
  for (;;) {
    const kept = end - start;
    let bytesRead: number;
    if (kept <= RESERVE) {
      if (kept > 0) buf.copy(aligned, RESERVE - kept, start, end);
      buf = aligned;
      start = RESERVE - kept;
      end = RESERVE;
      bytesRead = readSync(fd, aligned, RESERVE, CHUNK, null);
    } else {
      if (buf === aligned || buf.length < 2 * kept) {
        const own = Buffer.allocUnsafeSlow(2 * kept);
        buf.copy(own, 0, start, end);
        buf = own;
      } else buf.copyWithin(0, start, end);
      start = 0;
      end = kept;
      bytesRead = readSync(fd, buf, end, buf.length - end, null);
    }
    if (bytesRead === 0) return kept > 0 ? kept - consume(buf.subarray(start, end), kept, true) : 0;
    end += bytesRead;
    start += consume(buf.subarray(start, end), end - start, false);
  }
}
