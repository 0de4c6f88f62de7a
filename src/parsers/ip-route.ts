/**
 * `ip route show table all` (and `ip -6 route show table all`) as iproute2 prints it: an optional route type
 * (local, broadcast, blackhole, unreachable, prohibit, throw…), the destination ("default" or a prefix), then
 * keyword/value pairs (via, dev, table, metric, src, proto, scope); "nexthop" lines that follow belong to the
 * route above them (multipath). Pure; the lookup is trace/route.ts.
 */
import { parseCidr } from '../model/address.js';
import { ParseError, forEachLine } from './parse-error.js';

const TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);
/** Keywords followed by a value; others (onlink, pervasive, linkdown, dead) stand alone. */
const VALUED = new Set([
  'via',
  'dev',
  'table',
  'metric',
  'src',
  'proto',
  'scope',
  'nhid',
  'pref',
  'mtu',
  'advmss',
  'expires',
  'error',
  'realm',
  'realms',
  'weight',
  'hoplimit',
  'initcwnd',
  'initrwnd',
  'rto_min',
  'quickack',
  'congctl',
  'features',
  'tos',
  'dsfield',
  'encap',
  'from',
  'cache',
]);

export interface Route {
  type: string;
  /** "default" or a prefix as printed ("10.244.1.0/24", "10.244.1.2") */
  dst: string;
  family: 4 | 6;
  /** the prefix length: 0 for default */
  bits: number;
  table: string;
  metric: number;
  via?: string;
  dev?: string;
  src?: string;
  /** multipath: the next hops listed under it */
  nexthops: { via?: string; dev?: string }[];
  /** the artefact it was read from */
  source: string;
  line: number;
  text: string;
}

export interface RouteTable {
  source: string;
  routes: Route[];
}

export function parseIpRoute(text: string, source = 'ip-route', family?: 4 | 6): RouteTable {
  const out: RouteTable = { source, routes: [] };
  forEachLine(text, (raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    if (words[0] === 'nexthop') {
      const last = out.routes.at(-1);
      if (!last) throw new ParseError(source, n, 'a nexthop line with no route above it');
      const { values } = keywords(words.slice(1));
      last.nexthops.push({ via: values.get('via'), dev: values.get('dev') });
      return;
    }
    const typed = TYPES.has(words[0] ?? '');
    const type = typed ? (words[0] ?? 'unicast') : 'unicast';
    const dst = words[typed ? 1 : 0] ?? '';
    const defaultRoute = dst === 'default';
    const cidr = defaultRoute ? undefined : parseCidr(dst);
    if (!defaultRoute && !cidr) throw new ParseError(source, n, `not a route: "${line.slice(0, 80)}"`);
    const { values } = keywords(words.slice(typed ? 2 : 1));
    const via = values.get('via');
    out.routes.push({
      type,
      dst,
      family: cidr?.net.family ?? family ?? (via?.includes(':') ? 6 : 4),
      bits: cidr?.bits ?? 0,
      table: values.get('table') ?? 'main',
      metric: Number(values.get('metric') ?? 0),
      ...(via !== undefined ? { via } : {}),
      ...(values.has('dev') ? { dev: values.get('dev') } : {}),
      ...(values.has('src') ? { src: values.get('src') } : {}),
      nexthops: [],
      source,
      line: n,
      text: raw,
    });
  });
  return out;
}

function keywords(words: string[]): { values: Map<string, string> } {
  const values = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (!VALUED.has(w)) continue;
    // "via inet6 fe80::1": the family word comes between
    let v = words[i + 1] ?? '';
    if (w === 'via' && (v === 'inet' || v === 'inet6')) v = words[++i + 1] ?? '';
    values.set(w, v);
    i++;
  }
  return { values };
}
