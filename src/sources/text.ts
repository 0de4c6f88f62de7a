import { StringDecoder } from 'node:string_decoder';

/** How standard input is named in reports. */
export const STDIN_NAME = 'stdin';

/**
 * The lines of the text to explain: the arguments (a pasted message, perhaps with newlines), or stdin for
 * `-` — in blocks, one per chunk read: a step of an async generator per line was a third of a long log's time.
 */
export async function* textBlocks(args: string[]): AsyncGenerator<string[]> {
  if (args.length === 1 && args[0] === '-') {
    yield* blocksOf(process.stdin);
    return;
  }
  yield args.join(' ').split(/\r?\n/);
}

/**
 * Lines of a stream, read chunk by chunk so a long log is never held whole (readline's async iterator
 * queues every line it reads ahead of the consumer). A CRLF pasted from a Windows log is one line end.
 */
async function* blocksOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  // A line longer than MAX_KEPT_LINE is matched on its start: the rest is skipped as it streams, so one
  // endless line costs time linear in its length and memory bounded by the cap.
  let skipping = false;
  for await (const chunk of stream) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) continue;
      skipping = false;
      text = text.slice(nl + 1);
    }
    text = carry + text;
    const lines = text.split('\n');
    carry = lines.pop()!;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    }
    if (carry.length > MAX_KEPT_LINE) {
      lines.push(carry.slice(0, MAX_KEPT_LINE));
      carry = '';
      skipping = true;
    }
    if (lines.length > 0) yield lines;
  }
  carry += decoder.end();
  if (carry && !skipping) yield [carry.endsWith('\r') ? carry.slice(0, -1) : carry];
}

/** The start of a line that is kept for matching; explain matches on the first 16 KiB anyway. */
const MAX_KEPT_LINE = 64 * 1024;
