import { ToolError } from '../model/errors.js';
import {
  connectionFailure as failureById,
  KUBE_PROXY_CAUSE_RULES,
  NOT_A_SERVICE_VIP,
  NO_IPV6_SOURCE,
  type Cause,
} from '../knowledge/connection-failures.js';
import { textOf, type Wording } from '../knowledge/errnos.js';
import { CATALOGUE_COVERS, SIGNATURES } from '../knowledge/error-signatures.js';
import { ruleInfo, type RuleTarget } from '../rules/index.js';
import {
  closestSignatures,
  LOOKS_LIKE_AN_ERROR,
  matchLine,
  MIGHT_MATCH,
  MIGHT_MATCH_ANYWHERE,
  nextCandidate,
  nextCandidateOrErrorLike,
  type LineMatch,
} from './explain.js';

/** The JSON shape of one explained line (`explanations[]` in a report whose target kind is "text"). */
export interface ExplainedLine {
  line: number;
  text: string;
  signature: string;
  tool: string;
  syscall: string;
  errno?: { name: string; number: number; text: string; wording?: Wording };
  failure: { id: string; title: string; meaning: string };
  destination?: { host: string; port?: number };
  notes: string[];
  causes: ExplainedCause[];
  /** commands that run every rule named by the causes */
  next: string[];
}

export interface ExplainedCause {
  rank: number;
  cause: string;
  /** a finding of one of these confirms the cause; the rule running (not skipped) and finding nothing excludes it */
  rules: { id: string; target: RuleTarget }[];
  check?: string;
  commands: string[];
}

export interface Unrecognised {
  /** lines that held no message of the catalogue */
  lines: number;
  /** when nothing at all was recognised: the error-looking lines and the signatures closest to each */
  closest: {
    line: number;
    text: string;
    matches: { signature: string; tool: string; example: string; score: number }[];
  }[];
}

const CAPTURE_FILE = '/tmp/netdoctor.pcap';
const MAX_CLOSEST_LINES = 3;
/** A log can be all failures; past this many, recognised lines are counted, not kept (memory stays bounded). */
export const MAX_EXPLAINED_LINES = 1000;

/** The text had no line with anything in it: nothing to explain (exit 2). */
class NoTextError extends ToolError {
  override name = 'NoTextError';
}

/** Reads lines one at a time (a log may be long) and keeps what the report needs. */
export class TextExplainer {
  readonly explained: ExplainedLine[] = [];
  /** every recognised line, kept or not */
  recognised = 0;
  private lines = 0;
  private sawText = false;
  private candidates: { line: number; text: string }[] = [];
  /** when no line reads like an error, a short paste is still compared as it is */
  private firstLines: { line: number; text: string }[] = [];

  push(raw: string): void {
    const line = ++this.lines;
    const text = raw.trim();
    if (!text) return;
    this.sawText = true;
    if (MIGHT_MATCH.test(text)) {
      const keep = this.explained.length < MAX_EXPLAINED_LINES;
      const own = keep ? detached(text) : text;
      const match = matchLine(own);
      if (match) {
        this.recognised++;
        if (keep) this.explained.push(explainedLine(line, own, match));
        return;
      }
    }
    // what "closest" needs is only wanted while nothing was recognised
    if (this.explained.length > 0) return;
    if (this.candidates.length < MAX_CLOSEST_LINES && LOOKS_LIKE_AN_ERROR.test(text))
      this.candidates.push({ line, text: detached(text) });
    if (this.firstLines.length <= MAX_CLOSEST_LINES) this.firstLines.push({ line, text: detached(text) });
  }

  /**
   * Lines in a block, as `push` would take them one by one. Once nothing but a recognisable line can change
   * the report (a line was recognised, or the closest-line lists are full), the block is searched whole for
   * the words every recognisable line contains, and only the lines they fall on are read: a long log's other
   * lines cost a newline count, not a regular expression each.
   */
  pushBlock(lines: string[]): void {
    let i = 0;
    while (i < lines.length && !this.onlyMatchesMatter()) this.push(lines[i++] ?? '');
    if (i === lines.length) return;
    const text = (i === 0 ? lines : lines.slice(i)).join('\n');
    const base = this.lines;
    this.sawText ||= /\S/.test(text);
    let line = 0; // index in `text`'s lines of `from`
    let from = 0;
    MIGHT_MATCH_ANYWHERE.lastIndex = 0;
    for (let m = MIGHT_MATCH_ANYWHERE.exec(text); m; m = MIGHT_MATCH_ANYWHERE.exec(text)) {
      for (let nl = text.indexOf('\n', from); nl >= 0 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
        line++;
        from = nl + 1;
      }
      const end = text.indexOf('\n', m.index);
      this.lines = base + line;
      this.push(text.slice(from, end < 0 ? text.length : end));
      if (end < 0) break;
      line++;
      from = end + 1;
      MIGHT_MATCH_ANYWHERE.lastIndex = from;
    }
    this.lines = base + lines.length - i;
  }

  /**
   * Lines in a block of bytes (UTF-8, whole lines: a block ends at a line end or at the end of the text), as
   * `push` would take them one by one. Once only recognisable lines matter, the bytes are searched for the
   * three letters every word of the pre-filter holds and only the lines they fall on are decoded and read;
   * the others cost a newline count. While nothing is recognised and the first lines are kept, lines that
   * read like errors matter too, and the search takes their words' letters as well: a long log with no
   * known failure in it was read line by line (the million-line bench log without its failures: 1.4 s, now 0.4).
   */
  pushBytes(buf: Buffer): void {
    const end = buf.length;
    let from = 0;
    while (from < end) {
      if (this.onlyMatchesMatter()) {
        this.skim(buf, from, nextCandidate, () => true);
        return;
      }
      if (this.onlyMatchesAndErrorsMatter()) {
        from = this.skim(buf, from, nextCandidateOrErrorLike, () => !this.onlyMatchesMatter());
        continue;
      }
      const nl = buf.indexOf(10, from);
      const stop = nl < 0 ? end : nl;
      this.push(buf.toString('utf8', from, stop));
      from = stop + 1;
    }
  }

  /**
   * Pushes the lines of buf[from, end) that `search` falls on, counting the others, while `holds`; returns
   * where it stopped (the start of the line after the last one pushed, or the end).
   */
  private skim(
    buf: Buffer,
    from: number,
    search: (buf: Uint8Array, from: number, to: number, passed: { newlines: number }) => number,
    holds: () => boolean,
  ): number {
    const end = buf.length;
    const base = this.lines;
    const passed = { newlines: 0 }; // line ends from the first byte scanned here to the last candidate
    let at = from;
    for (;;) {
      const hit = search(buf, at, end, passed);
      if (hit < 0) {
        at = end;
        break;
      }
      const start = buf.lastIndexOf(10, hit) + 1;
      const nl = buf.indexOf(10, hit);
      const stop = nl < 0 ? end : nl;
      this.lines = base + passed.newlines;
      this.push(buf.toString('utf8', start, stop));
      if (nl >= 0) passed.newlines++;
      at = stop + 1;
      if (at >= end || !holds()) break;
    }
    // a block's last line has no line end only at the end of the text
    this.lines = base + passed.newlines + (at >= end && end > 0 && buf[end - 1] !== 10 ? 1 : 0);
    return at;
  }

  /** Nothing recognised yet, the first lines kept, the lines that read like errors not all found. */
  private onlyMatchesAndErrorsMatter(): boolean {
    return this.sawText && this.explained.length === 0 && this.firstLines.length > MAX_CLOSEST_LINES;
  }

  private onlyMatchesMatter(): boolean {
    return (
      this.sawText &&
      (this.explained.length > 0 ||
        (this.candidates.length >= MAX_CLOSEST_LINES && this.firstLines.length > MAX_CLOSEST_LINES))
    );
  }

  get lineCount(): number {
    return this.lines;
  }

  /** Throws NoTextError when every line read was blank. */
  assertText(): void {
    if (!this.sawText)
      throw new NoTextError('no text to explain: pass the error message in quotes, or - and the lines on stdin');
  }

  unrecognised(): Unrecognised {
    const closest =
      this.explained.length > 0
        ? []
        : (this.candidates.length > 0 || this.firstLines.length > MAX_CLOSEST_LINES
            ? this.candidates
            : this.firstLines
          ).map(({ line, text }) => ({
            line,
            text,
            matches: closestSignatures(text).map(({ signature, score }) => ({
              signature: signature.id,
              tool: signature.tool,
              example: signature.example,
              score: Math.round(score * 100) / 100,
            })),
          }));
    return { lines: this.lines - this.recognised, closest };
  }
}

/**
 * A copy of a line that does not share memory with the chunk it was read from. V8 keeps a substring as a
 * view of its parent, so every kept line (and every regex group taken from it) would otherwise pin a whole
 * 64 KiB read buffer: 2,000 failures in a long log held 150 MiB that way.
 */
function detached(line: string): string {
  return Buffer.from(line, 'utf8').toString('utf8');
}

/**
 * The same words mean different things in context: `listen …: bind: address already in use` is a server
 * that cannot listen, EADDRNOTAVAIL toward IPv6 from "::" is a missing source address, and a timeout to a
 * loopback or pod address cannot be a Service's missing rules. Pure: the line and its match in, the
 * failure and its causes in the order that fits out.
 */
function inContext(
  text: string,
  m: LineMatch,
): { failure: LineMatch['failure']; causes: readonly Cause[]; notes: string[] } {
  const host = m.destination?.host.replace(/^\[|\]$/g, '') ?? '';
  if (m.failure.id === 'bind-eaddrinuse' && /\blisten\b/i.test(text)) {
    const failure = failureById('listen-eaddrinuse');
    return { failure, causes: failure.causes, notes: [] };
  }
  if (m.failure.id === 'connect-eaddrnotavail' && (host.includes(':') || /Local \((?:::|\[::\]):0\)/.test(text))) {
    return {
      failure: m.failure,
      causes: [NO_IPV6_SOURCE, ...m.failure.causes],
      notes: ['toward IPv6 with no local address yet ("::"): most often no IPv6 source address, not exhausted ports'],
    };
  }
  const notVip = NOT_A_SERVICE_VIP.find((v) => host.startsWith(v.prefix));
  if (notVip && m.failure.causes.some(isServiceRulesCause)) {
    const causes = m.failure.causes.filter((c) => !isServiceRulesCause(c));
    return {
      failure: m.failure,
      causes:
        host.startsWith('127.') || host === '::1' || host === 'localhost'
          ? causes
          : [...causes, ...m.failure.causes.filter(isServiceRulesCause)],
      notes: [`${host} is ${notVip.what}`],
    };
  }
  return { failure: m.failure, causes: m.failure.causes, notes: [] };
}

/**
 * The destination as it may appear in a suggested command: an address or host name of plain characters
 * only. A pasted log is someone else's text; anything else would be a way out of the command's quotes.
 */
function safeDestination(dest: LineMatch['destination']): LineMatch['destination'] {
  if (!dest) return undefined;
  const host = dest.host.replace(/^\[|\]$/g, '');
  // an IPv6 address may start with "::" (::1, ::ffff:10.0.0.1); only a leading "-" could pass for an option
  return /^[A-Za-z0-9:][A-Za-z0-9.:_-]{0,252}$/.test(host) ? dest : undefined;
}

function isServiceRulesCause(c: Cause): boolean {
  return c.rules.length > 0 && c.rules.every((r) => (KUBE_PROXY_CAUSE_RULES as readonly string[]).includes(r));
}

function explainedLine(line: number, text: string, original: LineMatch): ExplainedLine {
  const fit = inContext(text, original);
  // In context a signature's own note can be wrong ("the kernel had no port left" when it had no address).
  const kept =
    fit.causes[0] === NO_IPV6_SOURCE ? original.notes.filter((n) => !/none left to give/.test(n)) : original.notes;
  const m = {
    ...original,
    destination: safeDestination(original.destination),
    failure: fit.failure,
    notes: [...kept, ...fit.notes],
  };
  const dest = m.destination;
  const causes = fit.causes.map((c, i) => explainedCause(i + 1, c, dest));
  return {
    line,
    text,
    signature: m.signature,
    tool: m.tool,
    syscall: m.syscall,
    errno: m.errno
      ? { name: m.errno.name, number: m.errno.number, text: textOf(m.errno, m.errno.wording), wording: m.errno.wording }
      : undefined,
    failure: { id: m.failure.id, title: m.failure.title, meaning: m.failure.meaning },
    destination: dest,
    notes: m.notes,
    causes,
    next: commandsFor(
      fit.causes.flatMap((c) => c.rules),
      dest,
    ),
  };
}

function explainedCause(rank: number, c: Cause, dest: LineMatch['destination']): ExplainedCause {
  return {
    rank,
    cause: c.cause,
    rules: c.rules.map((id) => ({ id, target: ruleInfo(id).target })),
    check: c.check ? fillIn(c.check, dest) : undefined,
    commands: commandsFor(c.rules, dest),
  };
}

/** The placeholders of the catalogue's checks, filled in where the message named the destination. */
function fillIn(text: string, dest: LineMatch['destination']): string {
  if (!dest) return text;
  const filled = text.replaceAll('ADDR', dest.host);
  return dest.port === undefined ? filled.replaceAll(':PORT', '') : filled.replaceAll('PORT', String(dest.port));
}

function commandsFor(ruleIds: readonly string[], dest: LineMatch['destination']): string[] {
  const unique = [...new Set(ruleIds)];
  const node = unique.filter((id) => ruleInfo(id).target === 'node');
  const pcap = unique.filter((id) => ruleInfo(id).target === 'pcap');
  const commands: string[] = [];
  if (node.length) commands.push(`sudo netdoctor node --rules ${node.join(',')}`);
  if (pcap.length) {
    const filter = dest
      ? `(tcp${dest.port !== undefined ? ` port ${dest.port}` : ''} and host ${dest.host.replace(/^\[|\]$/g, '')}) or icmp or icmp6`
      : 'tcp or icmp or icmp6';
    commands.push(
      `sudo timeout 60 tcpdump -i any -w ${CAPTURE_FILE} '${filter}'`,
      `netdoctor pcap ${CAPTURE_FILE} --rules ${pcap.join(',')}`,
    );
  }
  return commands;
}

/** The catalogue in a sentence, for telling users what "not recognised" was measured against. */
export function catalogueSummary(): string {
  return `${SIGNATURES.length} message signatures of ${CATALOGUE_COVERS.join(', ')}, and the errno texts of glibc, musl and Go`;
}
