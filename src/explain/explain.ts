import {
  CONNECT_FAILURE_OF_ERRNO,
  connectionFailure,
  type ConnectionFailure,
} from '../knowledge/connection-failures.js';
import { errnoByName, errnoByNumber, errnoByText, wordingOf, type Errno, type Wording } from '../knowledge/errnos.js';
import { SIGNATURES, type Signature } from '../knowledge/error-signatures.js';

/** One recognised line: who printed it, what failed, and (where the line says) towards where. */
export interface LineMatch {
  signature: string;
  /** who printed it; "kubelet probe (event) → Go net.Dial" when one message wraps another */
  tool: string;
  failure: ConnectionFailure;
  syscall: string;
  errno?: Errno & { wording?: Wording };
  destination?: { host: string; port?: number };
  /** what this line adds: a timing, who connects from where */
  notes: string[];
}

/** What a wording tells about the machine that printed the message. */
const WORDING_NOTE: Record<string, string> = {
  musl: 'musl wording: the program runs on an Alpine-style (musl) image.',
  bsd: "macOS/BSD wording: the program runs on a macOS or BSD machine (a laptop, not a pod), so its errno numbers and causes are that kernel's.",
  'musl-or-bsd': 'musl or macOS/BSD wording (both print it): an Alpine-style image, or a macOS or BSD machine.',
};

/** Lines longer than this are matched on their start: log lines that long are payload dumps, and it bounds the work. */
const MAX_LINE = 16_384;

/**
 * Words at least one of which every signature's match contains, so most lines of a long log are passed over
 * with one test instead of one per signature. A test checks every signature example and every real line
 * in test/fixtures/explain gives the same answer with and without it. Each word comes with three letters
 * every match of it contains, case aside ("a|b" when it takes either): a long log is first searched for those, byte by byte, and only
 * the lines they fall on meet the regular expression (a test checks each word holds its letters).
 */
export const MIGHT_MATCH_WORDS: readonly (readonly [pattern: string, letters: string])[] = [
  ['refused', 'fus'],
  ['bad address', 'bad'],
  ['timed? ?out', 'out'],
  ['timeout', 'out'],
  ['name resolution', 'olu'],
  ['not known', 't k'],
  ['unreachable', 'nre'],
  ['reset', 'ese'],
  ['assign', 'sig'],
  ['not available', 'vai'],
  ['in use', 'n u'],
  ['EOF', 'eof'],
  ['closed', 'clo'],
  ['resolve', 'olv'],
  ['lookup', 'oku'],
  ['hang up', 'g u'],
  ['version', 'rsi'],
  ['SSL', 'ssl'],
  ['TLS', 'tls'],
  // a status code: every signature that reads one has it after a space ("HTTP/1.1 502", '" 504 0')
  [' 50[24]\\b', ' 50'],
  ['probe failed', 'e f'],
  ['Errno', 'rrn'],
  ['Exception', 'xce'],
  ['deadline', 'adl'],
  ['canceled', 'cel'],
  ['No data', 'o d'],
  ['route', 'out'],
  ['connect', 'onn'],
  ['getaddrinfo', 'dri'],
  ['upstream', 'pst'],
  ['curl: \\(', 'rl:'],
  ['Unexpected end', 'xpe'],
  ['HTTP response', 'p r'],
  ['Client\\.Timeout', 'out'],
];

export const MIGHT_MATCH = new RegExp(MIGHT_MATCH_WORDS.map(([pattern]) => pattern).join('|'), 'i');

/** MIGHT_MATCH searched through a block of lines (no alternative can match across a line end). */
export const MIGHT_MATCH_ANYWHERE = new RegExp(MIGHT_MATCH.source, 'gi');

/**
 * The words of LOOKS_LIKE_AN_ERROR, each with three letters every match of it contains, as above: while
 * nothing is recognised, the lines that read like errors are offered as the closest, and a long log is
 * searched for these letters as well (a test checks each word holds its letters).
 */
export const LOOKS_LIKE_AN_ERROR_WORDS: readonly (readonly [pattern: string, letters: string])[] = [
  ['error', 'rro'],
  ['fail', 'fai'],
  ['refused', 'fus'],
  ['timed? ?out', 'out'],
  ['unreachable', 'nre'],
  ['reset', 'ese'],
  ['exception', 'xce'],
  ['cannot', 'nno'],
  ["can't", "n't"],
  ["couldn't", "n't"],
  ['unable', 'nab'],
  ['denied', 'nie'],
  ['closed', 'clo'],
];

/** Lines worth offering closest matches for when nothing was recognised: the ones that read like errors. */
export const LOOKS_LIKE_AN_ERROR = new RegExp(LOOKS_LIKE_AN_ERROR_WORDS.map(([pattern]) => pattern).join('|'), 'i');

/**
 * Each byte's class, five bits: a letter (either case: the regular expression folds ASCII only) 1-26, and a
 * class of its own for each other character the words' letters use; every other byte is 0. Three classes
 * make a 15-bit hash with no overlap, so only the word letters' own classes hit (a digit other than 0 and 5
 * never does, which keeps a log's numbers quiet).
 */
const OWN_CLASS: Record<string, number> = { ' ': 27, ':': 28, '0': 29, '5': 30, "'": 31 };
const CLASS = Uint8Array.from({ length: 256 }, (_, b) => {
  const lower = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  if (lower >= 0x61 && lower <= 0x7a) return lower - 0x60;
  return OWN_CLASS[String.fromCharCode(b)] ?? 0;
});

/** The classes of the words' letters, three by three. A line the hash hits meets the regular expression. */
function letterHashes(words: readonly (readonly [pattern: string, letters: string])[]): Uint8Array {
  const table = new Uint8Array(0x8000);
  for (const [, letters] of words)
    for (const three of letters.split('|')) {
      const [a, b, c] = [0, 1, 2].map((k) => CLASS[three.charCodeAt(k)] ?? 0);
      if (!a || !b || !c) throw new Error(`${three}: a letter with no class of its own`);
      table[(a << 10) | (b << 5) | c] = 1;
    }
  return table;
}

/**
 * Two bytes at a time: `pair` gives the classes of both bytes of a 16-bit load (10 bits) and, above them,
 * how many of the two are line ends; `windows` says
 * for four classes (20 bits) whether the three ending at the third or at the fourth are a word's letters.
 * One load and two lookups per two bytes halved the cost of the byte-by-byte search (1.8 → 0.9 ns a byte
 * on a 1M-line log). Built on first use: 1 MiB that only `explain` of a long text needs; `pair` is shared.
 */
interface PairTables {
  pair: Uint16Array;
  windows: Uint8Array;
  letters: Uint8Array;
}
let pairOfBytes: Uint16Array | undefined;
let recognisableTables: PairTables | undefined;
let errorLikeTables: PairTables | undefined;

function pairsOfBytes(): Uint16Array {
  const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  const pair = new Uint16Array(0x10000);
  for (let u = 0; u < 0x10000; u++) {
    const [first, second] = littleEndian ? [u & 255, u >> 8] : [u >> 8, u & 255];
    const newlines = (first === 10 ? 1 : 0) + (second === 10 ? 1 : 0);
    pair[u] = (newlines << 10) | ((CLASS[first] ?? 0) << 5) | (CLASS[second] ?? 0);
  }
  return pair;
}

function buildPairTables(words: readonly (readonly [pattern: string, letters: string])[]): PairTables {
  const letters = letterHashes(words);
  const windows = new Uint8Array(1 << 20);
  for (let three = 0; three < 0x8000; three++) {
    if (letters[three] !== 1) continue;
    for (let other = 0; other < 32; other++) {
      windows[(three << 5) | other] = 1; // the three end at the window's third byte
      windows[(other << 15) | three] = 1; // the three end at its fourth
    }
  }
  return { pair: (pairOfBytes ??= pairsOfBytes()), windows, letters };
}

/** What nextCandidate passed over: the line ends, so its caller numbers lines without searching for them. */
interface Passed {
  newlines: number;
}

/**
 * A byte offset in buf[from, to) on the first line where three bytes in a row might be a word's letters,
 * or -1: the offset falls on the line to try (a hit's bytes are letters, never a line end). Costs about a
 * nanosecond a byte, where the regular expression cost seven. Adds to `passed` the line ends before the
 * offset (or in the whole range): counting them here replaced an indexOf call per line.
 */
export function nextCandidate(buf: Uint8Array, from: number, to: number, passed?: Passed): number {
  return nextHit((recognisableTables ??= buildPairTables(MIGHT_MATCH_WORDS)), buf, from, to, passed);
}

/**
 * The same for a line that might be recognised or read like an error: what a log's lines are searched for
 * while nothing is recognised, so a long log without a known failure is not read line by line.
 */
export function nextCandidateOrErrorLike(buf: Uint8Array, from: number, to: number, passed?: Passed): number {
  errorLikeTables ??= buildPairTables([...MIGHT_MATCH_WORDS, ...LOOKS_LIKE_AN_ERROR_WORDS]);
  return nextHit(errorLikeTables, buf, from, to, passed);
}

function nextHit(tables: PairTables, buf: Uint8Array, from: number, to: number, passed?: Passed): number {
  const { pair, windows, letters } = tables;
  let h = 0;
  let newlines = 0;
  let i = from;
  // a 16-bit view must start on an even address: an odd first byte is taken alone
  if (i < to && ((buf.byteOffset + i) & 1) === 1) {
    const c = buf[i++] ?? 0;
    if (c === 10) newlines++;
    h = CLASS[c] ?? 0;
  }
  const pairs = (to - i) >> 1;
  if (pairs > 0) {
    const words = new Uint16Array(buf.buffer, buf.byteOffset + i, pairs);
    for (let k = 0; k < pairs; k++) {
      const v = pair[words[k] ?? 0] ?? 0;
      h = ((h << 10) | (v & 0x3ff)) & 0xfffff;
      if (windows[h] === 1) {
        if (passed) passed.newlines += newlines; // the pair holds a letter of the hit, so no line end of it counts
        return i + 2 * k;
      }
      newlines += v >> 10;
    }
    i += 2 * pairs;
  }
  let hit = -1;
  if (i < to) {
    const c = buf[i] ?? 0;
    if (c === 10) newlines++;
    else if (letters[((h << 5) | (CLASS[c] ?? 0)) & 0x7fff] === 1) hit = i;
  }
  if (passed) passed.newlines += newlines;
  return hit;
}

export function matchLine(line: string, signatures: readonly Signature[] = SIGNATURES): LineMatch | undefined {
  const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  return MIGHT_MATCH.test(text) ? firstMatch(text, signatures) : undefined;
}

/** Every signature in order, without the quick test: what matchLine must agree with. */
export function firstMatch(text: string, signatures: readonly Signature[] = SIGNATURES): LineMatch | undefined {
  for (const sig of signatures) {
    const m = sig.pattern.exec(text);
    if (!m) continue;
    const g = m.groups ?? {};
    if (g.inner !== undefined) {
      const inner = firstMatch(
        g.inner.replaceAll('\\"', '"'),
        signatures.filter((s) => s !== sig),
      );
      const note = sig.note?.(g);
      if (inner)
        return {
          ...inner,
          signature: `${sig.id}+${inner.signature}`,
          tool: `${sig.tool} → ${inner.tool}`,
          notes: note ? [...inner.notes, note] : inner.notes,
        };
      continue;
    }
    const errno = errnoOf(g);
    const failureId =
      typeof sig.failure === 'function'
        ? sig.failure(g, errno)
        : (sig.failure ?? (errno ? CONNECT_FAILURE_OF_ERRNO[errno.name] : undefined));
    if (!failureId) continue; // the wording matched, but not a failure this catalogue knows (e.g. another errno)
    const failure = connectionFailure(failureId);
    const wording = errno && g.err ? wordingOf(errno, g.err) : undefined;
    return {
      signature: sig.id,
      tool: sig.tool,
      failure,
      syscall: sig.syscall ?? failure.syscall,
      errno: errno ? { ...errno, wording } : undefined,
      destination: destinationOf(g, text),
      notes: [sig.note?.(g, errno), WORDING_NOTE[wording ?? '']].filter((n): n is string => n !== undefined),
    };
  }
  return undefined;
}

function errnoOf(g: Record<string, string | undefined>): Errno | undefined {
  if (g.errno) return errnoByNumber(Number(g.errno));
  if (g.code) return errnoByName(g.code);
  if (g.err) return errnoByText(g.err);
  return undefined;
}

/** proxies name the upstream in a field of their own; clients put the URL in the line */
const UPSTREAM = /\bupstream: "\w+:\/\/(?<host>\[[^\]]+\]|[^/:"\s]+)(?::(?<port>\d+))?/;
const URL_IN_LINE = /"(?<scheme>https?):\/\/(?<host>\[[^\]]+\]|[^/:"\s]+)(?::(?<port>\d+))?[/"]/;

function destinationOf(g: Record<string, string | undefined>, line: string): LineMatch['destination'] {
  if (g.host) return { host: g.host, port: g.port ? Number(g.port) : undefined };
  const m = UPSTREAM.exec(line) ?? URL_IN_LINE.exec(line);
  if (!m?.groups) return undefined;
  const port = m.groups.port
    ? Number(m.groups.port)
    : m.groups.scheme === 'https'
      ? 443
      : m.groups.scheme === 'http'
        ? 80
        : undefined;
  // the pattern's host group is mandatory
  return { host: m.groups.host ?? '', port };
}

/** Signatures whose example reads most like the line: for input nothing matched, so the user sees what is known. */
export function closestSignatures(line: string, limit = 3): { signature: Signature; score: number }[] {
  const words = wordsOf(line);
  if (words.size === 0) return [];
  return SIGNATURES.map((signature) => ({ signature, score: dice(words, exampleWords(signature)) }))
    .filter((c) => c.score >= 0.2)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

const wordsOf = (text: string) => new Set(text.toLowerCase().match(/[a-z]{3,}/g) ?? []);
const EXAMPLE_WORDS = new Map<Signature, Set<string>>();
function exampleWords(sig: Signature): Set<string> {
  let words = EXAMPLE_WORDS.get(sig);
  if (!words) EXAMPLE_WORDS.set(sig, (words = wordsOf(sig.example)));
  return words;
}
function dice(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return (2 * shared) / (a.size + b.size);
}
