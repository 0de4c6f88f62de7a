import { ParseError, UnreadLines, forEachLine, type UnreadLine } from './parse-error.js';
import { group } from '../model/indexing.js';
import { endpointKey } from '../model/address.js';

/**
 * IPVS tables, from /proc/net/ip_vs or `ipvsadm -Ln` (with or without --stats), and connection entries from
 * /proc/net/ip_vs_conn or `ipvsadm -Lnc` (FACTS.md §5). The proc files print IPv4 addresses as %08X of the
 * host-order value, so they read left to right ("0A600001" = 10.96.0.1), and IPv6 as a full [%pI6].
 */
export interface RealServer {
  address: string;
  port: number;
  forward: string;
  weight?: number;
  active?: number;
  inactive?: number;
  line: number;
  text: string;
}

export interface VirtualService {
  protocol: string;
  /** "10.96.0.1:443", "[fd00::1]:53" or "FWM 1" */
  key: string;
  address?: string;
  port?: number;
  fwmark?: number;
  scheduler?: string;
  persistent?: number;
  line: number;
  text: string;
  reals: RealServer[];
}

export interface IpvsTable {
  source: string;
  services: VirtualService[];
  /** `ipvsadm -L` without -n: addresses are host names and ports service names, as resolved there */
  named?: boolean;
  unread?: { count: number; lines: UnreadLine[] };
}

/** The service names ipvsadm -L prints for the ports Kubernetes Services use most (/etc/services). */
const SERVICE_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  domain: 53,
  ssh: 22,
  'http-alt': 8080,
  webcache: 8080,
  'https-alt': 8443,
  'pcsync-https': 8443,
  mysql: 3306,
  postgresql: 5432,
  redis: 6379,
  ldap: 389,
  ldaps: 636,
  smtp: 25,
  ftp: 21,
  'sun-proxyadmin': 8081,
  'etcd-client': 2379,
  'etcd-server': 2380,
  kubernetes: 6443,
  'sun-answerbook': 8888,
  mongodb: 27017,
  amqp: 5672,
};

/** `ipvsadm -L` (no -n): "kubernetes.default.svc.cluster.local:https", "10-244-1-2.web.svc:http-alt". */
function parseNamedEndpoint(text: string, source: string, n: number): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[|\]$/g, '');
  const service = text.slice(colon + 1);
  const port = /^\d+$/.test(service) ? Number(service) : SERVICE_PORTS[service];
  if (colon <= 0 || !/^[\w.:-]+$/.test(host) || port === undefined || port > 65535) {
    throw new ParseError(
      source,
      n,
      `not an address:port: "${text.slice(0, 60)}"${port === undefined && colon > 0 ? ` (unknown service name "${service.slice(0, 20)}"; use ipvsadm -Ln)` : ''}`,
    );
  }
  return { address: host.toLowerCase(), port };
}

/** 0A600001 → 10.96.0.1 (proc prints ntohl, so the bytes are in reading order). */
function hexIpv4(hex: string, source: string, n: number): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex))
    throw new ParseError(source, n, `not an IPv4 address in hex: "${hex.slice(0, 40)}"`);
  const v = parseInt(hex, 16);
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** "[fd00:0000:…:0001]" → "fd00::1", the compressed form ipvsadm prints. */
function compressIpv6(full: string, source: string, n: number): string {
  const groups = full.split(':');
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g)))
    throw new ParseError(source, n, `not an IPv6 address: "${full.slice(0, 60)}"`);
  const words = groups.map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** "0A600001:01BB" or "[fd00:…]:0035" (proc, hex) / "10.96.0.1:443" or "[fd00::1]:53" (ipvsadm, decimal). */
function parseEndpoint(text: string, hex: boolean, source: string, n: number): { address: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9A-Fa-f.]+)):([0-9A-Fa-f]+)$/.exec(text);
  if (!m) throw new ParseError(source, n, `not an address:port: "${text.slice(0, 60)}"`);
  // one side of the alternation matched: v6 or v4; the port is mandatory
  const [, v6, v4 = '', portText = ''] = m;
  const port = hex ? parseInt(portText, 16) : Number(portText);
  if (!(port >= 0 && port <= 65535) || (!hex && !/^\d+$/.test(portText)))
    throw new ParseError(source, n, `bad port in "${text.slice(0, 60)}"`);
  if (v6 !== undefined) return { address: hex ? compressIpv6(v6, source, n) : v6.toLowerCase(), port };
  if (hex) return { address: hexIpv4(v4, source, n), port };
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) throw new ParseError(source, n, `not an IPv4 address: "${v4.slice(0, 40)}"`);
  return { address: v4, port };
}

function count(word: string | undefined, source: string, n: number, what: string): number {
  // ipvsadm --stats abbreviates large numbers: 1234K, 56M
  const m = word ? /^(\d+)([KMG]?)$/.exec(word) : null;
  if (!m) throw new ParseError(source, n, `${what}: expected a number, got "${(word ?? '').slice(0, 20)}"`);
  return Number(group(m, 1)) * { '': 1, K: 1e3, M: 1e6, G: 1e9 }[group(m, 2) as '' | 'K' | 'M' | 'G'];
}

/**
 * /proc/net/ip_vs, `ipvsadm -Ln` and `ipvsadm -Ln --stats`: which one is told by the header and the
 * address form. With --stats there are no weights.
 */
export function parseIpvsTable(text: string, source = 'ip_vs'): IpvsTable {
  const table: IpvsTable = { source, services: [] };
  const unread = new UnreadLines();
  let stats = false;
  let firstContent: number | undefined;
  const endpoint = (word: string, n: number) => {
    if (isHexEndpoint(word)) return parseEndpoint(word, true, source, n);
    try {
      return parseEndpoint(word, false, source, n);
    } catch (e) {
      if (!(e instanceof ParseError) || !/[a-z]/i.test(word)) throw e;
      table.named = true;
      return parseNamedEndpoint(word, source, n);
    }
  };
  forEachLine(text, (line, n) => {
    unread.guard(n, () => {
      const t = line.trim();
      if (t === '' || t.startsWith('IP Virtual Server') || t.startsWith('-> RemoteAddress')) return;
      firstContent ??= n;
      if (t.startsWith('Prot LocalAddress')) {
        stats = /Conns|CPS/.test(t); // --stats and --rate print counters where -Ln prints weights
        return;
      }
      const w = t.split(/\s+/);
      if (w[0] === '->') {
        const svc = table.services[table.services.length - 1];
        if (!svc) throw new ParseError(source, n, 'a real server before any virtual service');
        const ep = endpoint(w[1] ?? '', n);
        const real: RealServer = { ...ep, forward: w[2] ?? '', line: n, text: line };
        if (!stats) {
          real.weight = count(w[3], source, n, 'weight');
          real.active = count(w[4], source, n, 'ActiveConn');
          real.inactive = count(w[5], source, n, 'InActConn');
        }
        svc.reals.push(real);
        return;
      }
      const [protocol = '', what = ''] = w;
      if (!/^(TCP|UDP|SCTP|FWM)$/.test(protocol))
        throw new ParseError(source, n, `not an IPVS line: "${t.slice(0, 80)}"`);
      const svc: VirtualService = { protocol, key: '', line: n, text: line, reals: [] };
      if (protocol === 'FWM') {
        const mark = /^[0-9A-Fa-f]{8}$/.test(what) ? parseInt(what, 16) : Number(what);
        if (!Number.isInteger(mark))
          throw new ParseError(source, n, `bad firewall mark "${(w[1] ?? '').slice(0, 20)}"`);
        svc.fwmark = mark;
        svc.key = `FWM ${mark}`;
      } else {
        const ep = endpoint(w[1] ?? '', n);
        svc.address = ep.address;
        svc.port = ep.port;
        svc.key = endpointKey(ep.address, ep.port);
      }
      if (!stats) {
        svc.scheduler = w[2];
        const p = w.indexOf('persistent');
        if (p > 0) svc.persistent = Number(w[p + 1]);
      }
      table.services.push(svc);
    });
  });
  if (table.services.length === 0 && unread.count > 0)
    throw new ParseError(
      source,
      firstContent ?? 1,
      `no IPVS virtual service in the input (${unread.kept[0]?.reason ?? ''})`,
    );
  const summary = unread.summary();
  if (summary) table.unread = summary;
  return table;
}

/** Proc endpoints are all hex: 8 hex digits, or a bracketed full IPv6 of eight 4-digit groups, then a 4-digit port. */
function isHexEndpoint(text: string): boolean {
  return (
    /^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$/.test(text) ||
    /^\[(?:[0-9A-Fa-f]{4}:){7}[0-9A-Fa-f]{4}\]:[0-9A-Fa-f]{4}$/.test(text)
  );
}

/** Connection entries toward one real server. */
export interface DestinationConns {
  total: number;
  byState: Record<string, number>;
  /** the longest time left on an entry, seconds */
  maxExpires: number;
  /** one entry line per state, for evidence */
  samples: Map<string, { line: number; text: string }>;
}

export interface IpvsConns {
  source: string;
  entries: number;
  /** persistence templates (protocol IP, or client port 0) */
  templates: number;
  /** "10.244.1.2:8080" → counts */
  byDestination: Map<string, DestinationConns>;
}

const MAX_LINE = 512;

/**
 * Streams /proc/net/ip_vs_conn or `ipvsadm -Lnc` (the table can hold millions of entries): counts per real
 * server and state, no object per entry.
 */
export class IpvsConnScanner {
  private readonly result: IpvsConns;
  private carry = '';
  private n = 0;

  constructor(source: string) {
    this.result = { source, entries: 0, templates: 0, byDestination: new Map() };
  }

  push(chunk: Buffer | string): void {
    const text = this.carry + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const cut = text.lastIndexOf('\n') + 1;
    this.carry = text.slice(cut);
    if (this.carry.length > MAX_LINE)
      throw new ParseError(this.result.source, this.n + 1, `a line longer than ${MAX_LINE} bytes`);
    let start = 0;
    while (start < cut) {
      const end = text.indexOf('\n', start);
      this.line(text.slice(start, end));
      start = end + 1;
    }
  }

  finish(): IpvsConns {
    if (this.carry !== '') this.line(this.carry);
    this.carry = '';
    return this.result;
  }

  private line(raw: string): void {
    const n = ++this.n;
    const source = this.result.source;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === '' || t.startsWith('Pro ') || t.startsWith('pro ') || t.startsWith('IPVS connection entries')) return;
    const w = t.split(/\s+/);
    let state: string;
    let expires: number;
    let client: { address: string; port: number };
    let dest: { address: string; port: number };
    // '' for a missing word: the length checks below keep it from being read, and every parser refuses ''
    const [, w1 = '', w2 = '', w3 = '', , w5 = '', w6 = '', w7 = '', w8] = w;
    if (w.length >= 9 && /^[0-9A-Fa-f]{8}$|^[0-9A-Fa-f:]{39}$/.test(w1)) {
      // proc: Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires [PEName PEData]
      client = { address: procAddress(w1, source, n), port: hexPort(w2, source, n) };
      dest = { address: procAddress(w5, source, n), port: hexPort(w6, source, n) };
      state = w7;
      expires = count(w8, source, n, 'Expires');
    } else if (w.length >= 6 && /^\d+:\d\d$/.test(w1)) {
      // ipvsadm -Lnc: pro expire state source virtual destination
      const [mm = 0, ss = 0] = w1.split(':').map(Number);
      expires = mm * 60 + ss;
      state = w2;
      client = parseEndpoint(w3, false, source, n);
      dest = parseEndpoint(w5, false, source, n);
    } else {
      throw new ParseError(source, n, `not an IPVS connection entry: "${t.slice(0, 80)}"`);
    }
    if (!/^[A-Z_]+$/.test(state)) throw new ParseError(source, n, `bad state "${state.slice(0, 20)}"`);
    this.result.entries++;
    if (w[0] === 'IP' || client.port === 0) {
      this.result.templates++;
      return;
    }
    const key = endpointKey(dest.address, dest.port);
    let d = this.result.byDestination.get(key);
    if (!d) {
      d = { total: 0, byState: {}, maxExpires: 0, samples: new Map() };
      this.result.byDestination.set(key, d);
    }
    d.total++;
    d.byState[state] = (d.byState[state] ?? 0) + 1;
    if (expires > d.maxExpires) d.maxExpires = expires;
    if (!d.samples.has(state)) d.samples.set(state, { line: n, text: line });
  }
}

function procAddress(text: string, source: string, n: number): string {
  return text.length === 8 ? hexIpv4(text, source, n) : compressIpv6(text, source, n);
}

function hexPort(text: string, source: string, n: number): number {
  if (!/^[0-9A-Fa-f]{4}$/.test(text)) throw new ParseError(source, n, `bad port "${text.slice(0, 20)}"`);
  return parseInt(text, 16);
}

export function parseIpvsConns(text: string, source = 'ip_vs_conn'): IpvsConns {
  const s = new IpvsConnScanner(source);
  s.push(text);
  return s.finish();
}
