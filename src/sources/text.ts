import { fstatSync } from 'node:fs';
import { streamRecords } from './fs/stream-file.js';

/** How standard input is named in reports. */
export const STDIN_NAME = 'stdin';

/** The lines of the text given as arguments (a pasted message, perhaps with newlines). */
export function argumentLines(args: string[]): string[] {
  return args.join(' ').split(/\r?\n/);
}

const NEWLINE = Buffer.from('\n');

/**
 * Standard input as blocks of whole lines (see byteBlocks). Redirected from a file, it is read synchronously
 * through the one aligned read buffer: no chunk is allocated or copied, which was a third of a long log's
 * time; a pipe or terminal is read as a stream. A block is valid only during the call.
 */
export async function forEachStdinBlock(onBlock: (block: Buffer) => void): Promise<void> {
  if (!fstatSync(0).isFile()) {
    for await (const block of byteBlocks(process.stdin)) onBlock(block);
    return;
  }
  let skipping = false;
  streamRecords(0, (buf, length, atEnd) => {
    let from = 0;
    if (skipping) {
      const nl = buf.indexOf(10);
      if (nl < 0 || nl >= length) return length;
      skipping = false;
      from = nl + 1;
    }
    const last = atEnd ? length - 1 : buf.lastIndexOf(10, length - 1);
    if (last < from) {
      // no line end in what is held: a line longer than MAX_KEPT_LINE is matched on its start, the rest skipped
      if (length - from <= MAX_KEPT_LINE) return from;
      onBlock(Buffer.concat([buf.subarray(from, from + MAX_KEPT_LINE), NEWLINE]));
      skipping = true;
      return length;
    }
    onBlock(buf.subarray(from, last + 1));
    return last + 1;
  });
}

/**
 * A stream (stdin) as blocks of whole lines, as bytes: one block per chunk read, up to its last line end,
 * the rest carried into the next; the last block may end without one. A long log is never held whole, and
 * no line is decoded here: the explainer decodes only the lines it reads.
 */
async function* byteBlocks(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  // A line longer than MAX_KEPT_LINE is matched on its start: the rest is skipped as it streams, so one
  // endless line costs time linear in its length and memory bounded by the cap.
  let skipping = false;
  for await (const read of stream) {
    let chunk = typeof read === 'string' ? Buffer.from(read) : read;
    if (skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) continue;
      skipping = false;
      chunk = chunk.subarray(nl + 1);
    }
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      carry = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
      if (carry.length > MAX_KEPT_LINE) {
        yield Buffer.concat([carry.subarray(0, MAX_KEPT_LINE), NEWLINE]);
        carry = Buffer.alloc(0);
        skipping = true;
      }
      continue;
    }
    yield carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1);
    carry = Buffer.from(chunk.subarray(last + 1));
  }
  if (carry.length > 0 && !skipping) yield carry;
}

/** The start of a line that is kept for matching; explain matches on the first 16 KiB anyway. */
const MAX_KEPT_LINE = 64 * 1024;
