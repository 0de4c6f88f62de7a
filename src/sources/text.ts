import { StringDecoder } from 'node:string_decoder';

/** The lines of the text to explain: the arguments (a pasted message, perhaps with newlines), or stdin for `-`. */
export async function* textLines(args: string[]): AsyncGenerator<string> {
  if (args.length === 1 && args[0] === '-') {
    yield* linesOf(process.stdin);
    return;
  }
  yield* args.join(' ').split(/\r?\n/);
}

/**
 * Lines of a stream, read chunk by chunk so a long log is never held whole (readline's async iterator
 * queues every line it reads ahead of the consumer). A CRLF pasted from a Windows log is one line end.
 */
async function* linesOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const lines = text.split('\n');
    carry = lines.pop()!;
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  carry += decoder.end();
  if (carry) yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}
