import { createInterface } from 'node:readline';

/** The lines of the text to explain: the arguments (a pasted message, perhaps with newlines), or stdin for `-`. */
export async function* textLines(args: string[]): AsyncGenerator<string> {
  if (args.length === 1 && args[0] === '-') {
    // crlfDelay: a CRLF pasted from a Windows log is one line end, not two
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield line;
    return;
  }
  yield* args.join(' ').split(/\r?\n/);
}
