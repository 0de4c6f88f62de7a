import { ParseError, UnreadLines, numberedLines } from './parse-error.js';
import { at } from '../model/indexing.js';

/** Counters by "Group.Name" (e.g. "TcpExt.ListenOverflows"), mapped by name, never by column. */
export type Counters = Map<string, number>;

/**
 * /proc/net/netstat and /proc/net/snmp: pairs of lines, a header "TcpExt: SyncookiesSent …" and a values
 * line "TcpExt: 0 …" with the same prefix. Newer kernels append columns; both lines grow together.
 */
export function parseProcNetCounters(text: string, source: string, unread = new UnreadLines()): Counters {
  const out: Counters = new Map();
  let header: { group: string; names: string[]; line: number } | undefined;
  for (const [n, line] of numberedLines(text)) {
    if (line.trim() === '') continue;
    unread.guard(n, () => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ParseError(source, n, 'expected "Group: …"');
      const group = line.slice(0, colon);
      const fields = line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter((f) => f !== '');
      if (!header || header.group !== group) {
        if (header) unread.add(header.line, `values for ${header.group} missing before ${group}`);
        header = { group, names: keysOf(line, group, fields), line: n };
        return;
      }
      const keys = header.names;
      header = undefined;
      if (fields.length !== keys.length)
        throw new ParseError(source, n, `${group} has ${keys.length} names but ${fields.length} values`);
      fields.forEach((v, i) => {
        if (/^-?\d+$/.test(v)) out.set(at(keys, i), Number(v));
        else unread.add(n, `${at(keys, i)}: "${v.slice(0, 20)}" is not a number`);
      });
    });
  }
  if (header) unread.add(header.line, `values for ${header.group} missing`);
  if (out.size === 0 && unread.count > 0)
    throw new ParseError(source, unread.kept[0]?.line ?? 1, `no counters read: ${unread.kept[0]?.reason ?? ''}`);
  return out;
}

/**
 * "Group.Name" for each name of a header line, made once per distinct header: the agent parses the same
 * headers for every namespace twice a tick, and these keys were thousands of new strings each time.
 */
function keysOf(headerLine: string, group: string, names: string[]): string[] {
  let keys = HEADER_KEYS.get(headerLine);
  if (!keys) {
    if (HEADER_KEYS.size >= 64) HEADER_KEYS.clear(); // kernels differ, but a machine has a handful of headers
    keys = names.map((name) => `${group}.${name}`);
    HEADER_KEYS.set(headerLine, keys);
  }
  return keys;
}
const HEADER_KEYS = new Map<string, string[]>();

/** /proc/net/sockstat: "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1" → "TCP.tw" = 2. */
export function parseSockstat(text: string, source: string): Counters {
  const out: Counters = new Map();
  for (const [n, line] of numberedLines(text)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError(source, n, 'expected "Group: name value …"');
    const group = line.slice(0, colon);
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (fields.length % 2 !== 0) throw new ParseError(source, n, 'names and values do not pair up');
    for (let i = 0; i < fields.length; i += 2) {
      if (!/^\d+$/.test(fields[i + 1] ?? ''))
        throw new ParseError(source, n, `${group}.${fields[i]}: "${fields[i + 1]}" is not a number`);
      out.set(`${group}.${fields[i]}`, Number(fields[i + 1]));
    }
  }
  return out;
}

/**
 * /proc/net/stat/nf_conntrack: a header of names, then one line of hex counters per CPU. Summed over CPUs,
 * except "entries", which every CPU line repeats.
 */
export function parseConntrackStat(text: string, source: string): Counters {
  const out: Counters = new Map();
  let names: string[] | undefined;
  for (const [n, line] of numberedLines(text)) {
    const fields = line
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    if (fields.length === 0) continue;
    if (!names) {
      names = fields;
      continue;
    }
    if (fields.length !== names.length)
      throw new ParseError(source, n, `${names.length} names but ${fields.length} values`);
    const header = names;
    fields.forEach((v, i) => {
      const name = at(header, i); // as many names as values, checked above
      if (!/^[0-9a-fA-F]{1,16}$/.test(v)) throw new ParseError(source, n, `${name}: "${v}" is not hexadecimal`);
      const value = parseInt(v, 16);
      out.set(name, name === 'entries' ? value : (out.get(name) ?? 0) + value);
    });
  }
  if (!names) throw new ParseError(source, 1, 'empty file');
  return out;
}

/** b − a per counter present in both; counters that went backwards (a reset) are left out. */
export function counterDeltas(a: Counters, b: Counters): Counters {
  const out: Counters = new Map();
  for (const [k, v] of b) {
    const before = a.get(k);
    if (before !== undefined && v >= before) out.set(k, v - before);
  }
  return out;
}
