/** The only error a parser throws: where (source, 1-based line) and why. */
export class ParseError extends Error {
  readonly source: string;
  readonly line: number;
  readonly reason: string;

  constructor(source: string, line: number, reason: string) {
    super(`${source}:${line}: ${reason}`);
    this.name = 'ParseError';
    this.source = source;
    this.line = line;
    this.reason = reason;
  }
}

/** Lines of a small text artefact, 1-based numbering, without the trailing newline. */
export function* numberedLines(text: string): Generator<[number, string]> {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    yield [n, text.endsWith('\r', end) ? text.slice(start, end - 1) : text.slice(start, end)];
    start = end + 1;
  }
}
