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

/** Calls `each` with every line (1-based number, no newline, a trailing CR dropped); returns the line count. */
export function forEachLine(text: string, each: (line: string, n: number) => void): number {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    each(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end), n);
    start = end + 1;
  }
  return n;
}

/** Lines of a small text artefact, 1-based numbering, without the trailing newline. */
export function numberedLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  forEachLine(text, (line, n) => out.push([n, line]));
  return out;
}
