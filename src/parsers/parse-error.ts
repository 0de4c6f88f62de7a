import { ToolError } from '../model/errors.js';
/** The only error a parser throws: where (source, 1-based line) and why. */
export class ParseError extends ToolError {
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

/** A line a tolerant parser could not use: counted, and reported with its number, never fatal alone. */
export interface UnreadLine {
  line: number;
  reason: string;
}

/** Keeps the first few unread lines and counts the rest, so a file of garbage costs no memory. */
export class UnreadLines {
  static readonly KEEP = 20;
  readonly kept: UnreadLine[] = [];
  count = 0;

  add(line: number, reason: string): void {
    this.count++;
    if (this.kept.length < UnreadLines.KEEP) this.kept.push({ line, reason });
  }

  /** Runs `f` for one line; a ParseError it throws marks that line unread instead of ending the parse. */
  guard(line: number, f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.add(line, e.reason);
    }
  }

  summary(): { count: number; lines: UnreadLine[] } | undefined {
    return this.count > 0 ? { count: this.count, lines: this.kept } : undefined;
  }
}

/** "3 lines not understood (12: expected …; 40: …)": one problem line for an artefact. */
export function describeUnread(u: { count: number; lines: UnreadLine[] }): string {
  const shown = u.lines
    .slice(0, 3)
    .map((l) => `line ${l.line}: ${l.reason}`)
    .join('; ');
  return `${u.count} line${u.count === 1 ? '' : 's'} not understood and left out (${shown}${u.count > 3 ? '; …' : ''}); the rest was read`;
}
