/**
 * Streaming parser for /proc/net/tcp and /proc/net/tcp6.
 *
 * A node can hold a million sockets, so this works on bytes and keeps counters, never one object per
 * socket: per-destination counts for sockets whose local port is an ephemeral port, a per-port use count,
 * the listeners, and one sample line per destination and per watched port for evidence.
 */
import { ParseError, UnreadLines, type UnreadLine } from './parse-error.js';
import { ipv6Bytes, type TextSocket } from './socket-text.js';
import { ST_LISTEN } from './tcp-states.js';
import { at, bump } from '../model/indexing.js';
import { PortUse } from './port-use.js';
import { Ipv4DestinationIndex } from './destination-index.js';

const STATE_SLOTS = 16;

export type ByteOrder = 'LE' | 'BE';

interface SocketScanOptions {
  /** 1 for every port the kernel may pick for connect(): inside ip_local_port_range, not reserved. */
  ephemeral: Uint8Array;
  /** 1 for ports whose non-listening sockets should keep a sample line (e.g. the NodePort range). */
  watched?: Uint8Array;
  byteOrder?: ByteOrder;
}

/** Sockets from one local IP to one remote IP:port whose local port is an ephemeral port. */
export interface DestinationUse {
  family: 4 | 6;
  localIp: string;
  remoteIp: string;
  remotePort: number;
  total: number;
  /** count per TCP state code (index = state number, TCP_STATES names them) */
  states: Uint32Array;
  /** a raw line from the table, for evidence */
  sample: string;
  source: string;
}

export interface Listener {
  family: 4 | 6;
  ip: string;
  port: number;
  /** current accept-queue length (rx_queue of a LISTEN socket) */
  acceptQueue: number;
  line: string;
  source: string;
}

export interface SocketTable {
  sources: string[];
  sockets: number;
  byState: Uint32Array;
  destinations: DestinationUse[];
  listeners: Listener[];
  /** non-LISTEN sockets per local port, IPv4 and IPv6 together (ports are one space per netns) */
  localPortUse: PortUse;
  /** first raw line per watched local port (non-LISTEN sockets) */
  watchedSamples: Map<number, { line: string; source: string; remote: string }>;
  /** lines that were not socket lines (a paste's stray text, a line cut short), per source */
  unread?: { source: string; count: number; lines: UnreadLine[]; rejected?: boolean }[];
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}
const SPACE = 32;
const COLON = 58;
const NL = 10;

interface Dest {
  total: number;
  states: Uint32Array;
  sample: string;
  family: 4 | 6;
  source: string;
  key6?: { local: string; remote: string; port: number };
}

/** IPv4 (and v4-mapped IPv6) destinations keep the raw numbers they are indexed by. */
interface Dest4 extends Dest {
  local: number;
  remote: number;
  port: number;
}

function emptySocketTable(): SocketTable {
  return {
    sources: [],
    sockets: 0,
    byState: new Uint32Array(STATE_SLOTS),
    destinations: [],
    listeners: [],
    localPortUse: PortUse.of(new Uint32Array(0)),
    watchedSamples: new Map(),
  };
}

/**
 * One scanner accumulates both tcp and tcp6 of a network namespace: call `file(source)` for each, push
 * its bytes, then `result()`.
 */
export class SocketTableScanner {
  private readonly opts: SocketScanOptions;
  private readonly table = emptySocketTable();
  private readonly dest4 = new Ipv4DestinationIndex<Dest4>();
  private readonly dest6 = new Map<string, Dest>();
  /** counted here, handed over as a PortUse by result() */
  private readonly portCounts = new Uint32Array(65536);
  private source = '/proc/net/tcp';
  private lineNo = 0;
  private carry: Buffer | undefined;
  /** the `ss`/`netstat` line a text socket came from: evidence shows what the user has, not a made-up hex line */
  private textLine: string | undefined;
  /** lines of the current file that were not socket lines; a file of nothing else is not a socket table */
  private unread = new UnreadLines();
  private socketsInFile = 0;

  constructor(opts: SocketScanOptions) {
    this.opts = opts;
  }

  /** Start a new file (its line numbers start again at 1). */
  file(source: string): this {
    this.finishFile();
    this.endFile();
    this.source = source;
    this.lineNo = 0;
    this.table.sources.push(source);
    return this;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    if (this.carry) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.guardCarry();
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = undefined;
      this.line(line, 0, line.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      this.line(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      this.carry = Buffer.from(chunk.subarray(pos));
      this.guardCarry();
    }
  }

  result(): SocketTable {
    this.finishFile();
    this.endFile();
    const t = this.table;
    t.localPortUse = PortUse.of(this.portCounts);
    t.destinations = [];
    const order = this.opts.byteOrder ?? 'LE';
    // grouped by local address in first-seen order, as before the index: ties keep their order
    const byLocal = new Map<number, Dest4[]>();
    for (const d of this.dest4.added) {
      const group = byLocal.get(d.local);
      if (group) group.push(d);
      else byLocal.set(d.local, [d]);
    }
    for (const [local, group] of byLocal) {
      const localIp = ipv4(local, order);
      for (const d of group) t.destinations.push(toUse(d, localIp, ipv4(d.remote, order), d.port));
    }
    for (const d of this.dest6.values()) {
      t.destinations.push(toUse(d, ipv6(d.key6!.local, order), ipv6(d.key6!.remote, order), d.key6!.port));
    }
    t.destinations.sort((a, b) => b.total - a.total);
    return t;
  }

  private finishFile(): void {
    if (this.carry && this.carry.length > 0) {
      const line = this.carry;
      this.carry = undefined;
      this.line(line, 0, line.length);
    }
  }

  /** A file whose lines were all refused is not a socket table: that, and only that, is an error. */
  private endFile(): void {
    const u = this.unread;
    this.unread = new UnreadLines();
    const sockets = this.socketsInFile;
    this.socketsInFile = 0;
    if (u.count === 0) return;
    // No socket line at all: this file is not a socket table. Its reader decides what that costs.
    (this.table.unread ??= []).push({
      source: this.source,
      count: u.count,
      lines: u.kept,
      ...(sockets === 0 ? { rejected: true } : {}),
    });
  }

  private guardCarry(): void {
    // A real line is ~150 bytes; a "line" this long means the input is not a socket table.
    if (this.carry && this.carry.length > 4096) {
      throw new ParseError(this.source, this.lineNo + 1, 'line longer than 4096 bytes: not a /proc/net/tcp table');
    }
  }

  private fail(reason: string): never {
    throw new ParseError(this.source, this.lineNo, reason);
  }

  /** One line; a line that is not a socket line is counted and left out, never the end of the scan. */
  private line(b: Buffer, start: number, end: number): void {
    this.lineNo++;
    try {
      this.socketLine(b, start, end);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.unread.add(this.lineNo, e.reason);
    }
  }

  /**
   * One function on purpose (complexity 42, above the lint's 15): it runs once per socket, up to 5 million
   * times per file, and bench/socket-table.ts measured splitting it into field helpers as slower (a call and
   * a returned cursor per field). Its fields are at fixed offsets; each step says which field it reads.
   */
  private socketLine(b: Buffer, start: number, end: number): void {
    if (end > start && b[end - 1] === 13) end--;
    let p = start;
    while (p < end && b[p] === SPACE) p++;
    if (p === end) return;
    if (b[p] === 115 /* s */ && b[p + 1] === 108 /* l */) {
      if (this.socketsInFile > 0) this.fail('header line in the middle of the table');
      return;
    }
    // "  12: "
    const slStart = p;
    while (p < end && (b[p] ?? 0) >= 48 && (b[p] ?? 0) <= 57) p++;
    if (p === slStart || b[p] !== COLON) this.fail('expected "<n>:" at the start of the line');
    p++;
    while (p < end && b[p] === SPACE) p++;

    const localStart = p;
    if (this.kernelIpv4Line(b, start, p, end)) return;
    while (p < end && b[p] !== COLON) p++;
    const addrLen = p - localStart;
    if (addrLen !== 8 && addrLen !== 32) this.fail(`local address must be 8 or 32 hex digits, got ${addrLen}`);
    p++;
    const lport = this.hexAt(b, p, 4, end, 'local port');
    p += 4;
    if (b[p] !== SPACE) this.fail('expected a space after the local port');
    p++;
    const remoteStart = p;
    p += addrLen;
    if (p >= end || b[p] !== COLON) this.fail('remote address has a different width than the local one');
    p++;
    const rport = this.hexAt(b, p, 4, end, 'remote port');
    p += 4;
    if (b[p] !== SPACE) this.fail('expected a space after the remote port');
    p++;
    const state = this.hexAt(b, p, 2, end, 'state');
    if (state === 0 || state >= STATE_SLOTS) this.fail(`unknown TCP state ${state}`);
    p += 2;
    if (b[p] !== SPACE) this.fail('expected a space after the state');
    p++;
    if (b[p + 8] !== COLON) this.fail('expected tx_queue:rx_queue');

    const t = this.table;
    this.socketsInFile++;
    t.sockets++;
    bump(t.byState, state);
    const family: 4 | 6 = addrLen === 8 ? 4 : 6;

    if (state === ST_LISTEN) {
      const rxQueue = this.hexAt(b, p + 9, 8, end, 'rx_queue');
      const ip =
        family === 4
          ? ipv4(this.hexAt(b, localStart, 8, end, 'address'), this.order())
          : ipv6(b.toString('latin1', localStart, localStart + 32), this.order());
      t.listeners.push({
        family,
        ip,
        port: lport,
        acceptQueue: rxQueue,
        line: this.text(b, start, end),
        source: this.source,
      });
      return;
    }
    bump(this.portCounts, lport);
    if (this.opts.watched && this.opts.watched[lport] === 1 && !t.watchedSamples.has(lport)) {
      const rem =
        family === 4
          ? ipv4(this.hexAt(b, remoteStart, 8, end, 'address'), this.order())
          : ipv6(b.toString('latin1', remoteStart, remoteStart + 32), this.order());
      t.watchedSamples.set(lport, { line: this.text(b, start, end), source: this.source, remote: `${rem}:${rport}` });
    }
    if (this.opts.ephemeral[lport] !== 1) return;

    if (family === 4 || this.isV4Mapped(b, localStart)) {
      const off = family === 4 ? 0 : 24;
      const local = this.hexAt(b, localStart + off, 8, end, 'local address');
      const remote = this.hexAt(b, remoteStart + off, 8, end, 'remote address');
      this.countIpv4(local, remote, rport, state, b, start, end);
      return;
    }
    const key =
      b.toString('latin1', localStart, localStart + 32) + b.toString('latin1', remoteStart, remoteStart + 32 + 5);
    let d = this.dest6.get(key);
    if (!d) {
      d = newDest(6, this.source, this.text(b, start, end));
      d.key6 = { local: key.slice(0, 32), remote: key.slice(32, 64), port: rport };
      this.dest6.set(key, d);
    }
    d.total++;
    bump(d.states, state);
  }

  /**
   * The common line, as tcp4_seq_show prints it, read at fixed offsets from the local address:
   * "0100007F:0277 00000000:0000 0A 00000000:00000000 …". Every field it reads is checked before anything
   * is counted; false (nothing counted) sends the line to the general path above, which names what is
   * wrong with it. Listeners and watched ports also go there: they are few, and keep their evidence.
   */
  private kernelIpv4Line(b: Buffer, start: number, p: number, end: number): boolean {
    if (
      p + 48 > end ||
      b[p + 8] !== COLON ||
      b[p + 13] !== SPACE ||
      b[p + 22] !== COLON ||
      b[p + 27] !== SPACE ||
      b[p + 30] !== SPACE ||
      b[p + 39] !== COLON
    )
      return false;
    const lport = hex4At(b, p + 9);
    const rport = hex4At(b, p + 23);
    const s0 = DIGIT[b[p + 28] ?? 0] ?? 16;
    const s1 = DIGIT[b[p + 29] ?? 0] ?? 16;
    const state = (s0 | s1) > 15 ? -1 : s0 * 16 + s1;
    const local = hex8At(b, p);
    const remote = hex8At(b, p + 14);
    if (lport < 0 || rport < 0 || local < 0 || remote < 0 || hex8At(b, p + 40) < 0) return false;
    if (state <= 0 || state >= STATE_SLOTS || state === ST_LISTEN || this.opts.watched?.[lport] === 1) return false;
    const t = this.table;
    this.socketsInFile++;
    t.sockets++;
    bump(t.byState, state);
    bump(this.portCounts, lport);
    if (this.opts.ephemeral[lport] === 1) this.countIpv4(local, remote, rport, state, b, start, end);
    return true;
  }

  private countIpv4(local: number, remote: number, port: number, state: number, b: Buffer, start: number, end: number) {
    let d = this.dest4.get(local, remote, port);
    if (!d) {
      const sample = this.text(b, start, end);
      d = {
        total: 0,
        states: new Uint32Array(STATE_SLOTS),
        sample,
        family: 4,
        source: this.source,
        local,
        remote,
        port,
      };
      this.dest4.add(d);
    }
    d.total++;
    bump(d.states, state);
  }

  /**
   * A socket read from `ss` or `netstat` text: encoded as the kernel would print it in /proc/net/tcp and
   * counted by the same code, so both inputs give the same facts.
   */
  textSocket(s: TextSocket): void {
    const order = this.order();
    const v6 = s.family === 6;
    const addr = (ip: string) =>
      v6 ? hex6(ip.includes(':') ? ip : ip === '0.0.0.0' ? '::' : `::ffff:${ip}`, order) : hex4(ip, order);
    const hex = (v: number, w: number) => v.toString(16).toUpperCase().padStart(w, '0');
    const line = `0: ${addr(s.localIp)}:${hex(s.localPort, 4)} ${addr(s.remoteIp)}:${hex(s.remotePort, 4)} ${hex(s.state, 2)} ${hex(s.sendQ, 8)}:${hex(s.recvQ, 8)} 00:00000000 00000000`;
    const b = Buffer.from(line, 'latin1');
    this.textLine = s.raw;
    this.lineNo = s.line - 1;
    try {
      this.line(b, 0, b.length);
    } finally {
      this.textLine = undefined;
    }
  }

  private text(b: Buffer, start: number, end: number): string {
    return this.textLine ?? b.toString('latin1', start, end).trim();
  }

  private order(): ByteOrder {
    return this.opts.byteOrder ?? 'LE';
  }

  /** ::ffff:a.b.c.d: a dual-stack socket talking IPv4; the kernel shares the IPv4 port space with it. */
  private isV4Mapped(b: Buffer, at: number): boolean {
    for (let i = 0; i < 16; i++) if (b[at + i] !== 48) return false;
    const marker = b.toString('latin1', at + 16, at + 24).toUpperCase();
    return marker === (this.order() === 'LE' ? 'FFFF0000' : '0000FFFF');
  }

  private hexAt(b: Buffer, p: number, len: number, end: number, what: string): number {
    if (p + len > end) this.fail(`line ends inside the ${what}`);
    let v = 0;
    for (let i = 0; i < len; i++) {
      const h = HEX[b[p + i] ?? 0] ?? -1; // a byte past the end reads HEX[0], which is -1 too
      if (h < 0) this.fail(`${what}: "${b.toString('latin1', p, p + len)}" is not hexadecimal`);
      v = v * 16 + h;
    }
    return v;
  }
}

/** Hex digit values; any other byte maps to 16, so OR-ing the digits of a field shows a bad one (≥ 16). */
const DIGIT = new Uint8Array(256).fill(16);
for (let i = 0; i < 256; i++) if ((HEX[i] ?? -1) >= 0) DIGIT[i] = HEX[i] ?? 16;

/** Four hex digits at p, or -1 when one is not a hex digit. */
function hex4At(b: Buffer, p: number): number {
  const d0 = DIGIT[b[p] ?? 0] ?? 16;
  const d1 = DIGIT[b[p + 1] ?? 0] ?? 16;
  const d2 = DIGIT[b[p + 2] ?? 0] ?? 16;
  const d3 = DIGIT[b[p + 3] ?? 0] ?? 16;
  return (d0 | d1 | d2 | d3) > 15 ? -1 : (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
}

/** Eight hex digits at p (unsigned), or -1. */
function hex8At(b: Buffer, p: number): number {
  const hi = hex4At(b, p);
  const lo = hex4At(b, p + 4);
  return hi < 0 || lo < 0 ? -1 : hi * 65536 + lo;
}

/** a.b.c.d as /proc/net/tcp prints it: %08X of the __be32, byte-reversed on little-endian machines */
function hex4(ip: string, order: ByteOrder): string {
  const b = ip.split('.').map(Number);
  const bytes = order === 'LE' ? b.reverse() : b;
  return bytes.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** an IPv6 address as /proc/net/tcp6 prints it: four 32-bit groups, each byte-reversed on little-endian */
function hex6(ip: string, order: ByteOrder): string {
  const bytes = ipv6Bytes(ip) ?? new Array<number>(16).fill(0);
  let out = '';
  for (let g = 0; g < 16; g += 4) {
    const group = bytes.slice(g, g + 4);
    for (const x of order === 'LE' ? group.reverse() : group) out += x.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function newDest(family: 4 | 6, source: string, sample: string): Dest {
  return { total: 0, states: new Uint32Array(STATE_SLOTS), sample, family, source };
}

function toUse(d: Dest, localIp: string, remoteIp: string, remotePort: number): DestinationUse {
  return {
    family: d.family,
    localIp,
    remoteIp,
    remotePort,
    total: d.total,
    states: d.states,
    sample: d.sample,
    source: d.source,
  };
}

/** The kernel prints a __be32 with %08X, so on a little-endian machine the bytes read reversed. */
export function ipv4(raw: number, order: ByteOrder): string {
  const a = [raw >>> 24, (raw >>> 16) & 255, (raw >>> 8) & 255, raw & 255];
  return (order === 'LE' ? a.reverse() : a).join('.');
}

/** Four 32-bit groups, each printed like an IPv4 address (byte-reversed on little-endian). */
export function ipv6(hex32: string, order: ByteOrder): string {
  const bytes: number[] = [];
  for (let g = 0; g < 4; g++) {
    const group = [0, 2, 4, 6].map((i) => parseInt(hex32.slice(g * 8 + i, g * 8 + i + 2), 16));
    bytes.push(...(order === 'LE' ? group.reverse() : group));
  }
  if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(at(bytes, i) * 256 + at(bytes, i + 1));
  return compressIpv6(words);
}

function compressIpv6(words: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Convenience for small inputs (tests, fixtures): scan whole files at once. */
export function parseSocketTables(
  files: { source: string; content: Buffer | string }[],
  opts: SocketScanOptions,
): SocketTable {
  const s = new SocketTableScanner(opts);
  for (const f of files) {
    s.file(f.source);
    s.push(typeof f.content === 'string' ? Buffer.from(f.content, 'latin1') : f.content);
  }
  return s.result();
}
