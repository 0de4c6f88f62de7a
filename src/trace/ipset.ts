/**
 * `-m set --match-set NAME FLAGS` decided from the collected `ipset save`, as the kernel's ip_set_test does:
 * one direction flag per dimension of the set's type (src or dst: the packet's source or destination
 * address, or port); fewer flags than dimensions, or another address family, never match (kubernetes #54203:
 * "`dst` … doesn't seem to match anything" on a hash:ip,port set); among the entries that match, the most
 * specific decides, so a `nomatch` inside a wider hash:net entry excludes. Dimensions a save cannot decide
 * (mark, mac, iface) are said, not guessed.
 */
import type { IpSet, IpSets } from '../parsers/ipset-save.js';
import { inCidr, parseAddress, parseCidr } from '../model/address.js';

export interface SetPacket {
  proto: 'tcp' | 'udp';
  src?: string;
  sport?: number;
  dst: string;
  dport: number;
}

type SetVerdict = { match: boolean; entry?: string } | { maybe: string };

export function matchSet(sets: IpSets, name: string, flags: string, packet: SetPacket, depth = 0): SetVerdict {
  const set = sets.sets.get(name);
  if (!set) return { maybe: `set ${name} is not in ${sets.source}` };
  const directions = flags.split(',');
  if (set.type === 'list:set') return matchList(sets, set, flags, packet, depth);
  const dims = set.type.replace(/^(hash|bitmap):/, '').split(',');
  if (directions.length < dims.length) return { match: false };
  const family = parseAddress(packet.dst)?.family === 6 ? 'inet6' : 'inet';
  if (set.type.startsWith('hash:') && (set.family ?? 'inet') !== family) return { match: false };
  let best: { bits: number; nomatch: boolean; entry: string } | undefined;
  for (const m of set.members) {
    const parts = m.entry.split(',');
    let bits = 0;
    let all = true;
    for (const [i, dim] of dims.entries()) {
      const test = dimension(dim, parts[i] ?? '', directions[i] === 'src' ? 'src' : 'dst', packet);
      if ('maybe' in test) return { maybe: `-m set --match-set ${name} ${flags} (${test.maybe})` };
      if (!test.match) {
        all = false;
        break;
      }
      bits += test.bits;
    }
    if (all && (!best || bits > best.bits)) best = { bits, nomatch: m.nomatch, entry: m.entry };
  }
  return best ? { match: !best.nomatch, entry: best.entry } : { match: false };
}

function matchList(sets: IpSets, set: IpSet, flags: string, packet: SetPacket, depth: number): SetVerdict {
  if (depth > 4) return { maybe: `set ${set.name} nests lists too deep` };
  for (const m of set.members) {
    const v = matchSet(sets, m.entry, flags, packet, depth + 1);
    if ('maybe' in v || v.match) return v;
  }
  return { match: false };
}

type DimensionTest = { match: boolean; bits: number } | { maybe: string };

function dimension(dim: string, part: string, dir: 'src' | 'dst', p: SetPacket): DimensionTest {
  if (dim === 'ip' || dim === 'net') {
    const addr = dir === 'src' ? p.src : p.dst;
    if (addr === undefined) return { maybe: 'the source address is not given (--from)' };
    return ipInEntry(addr, part);
  }
  if (dim === 'port') {
    const port = dir === 'src' ? p.sport : p.dport;
    if (port === undefined) return { maybe: 'the source port is not given (--from IP:PORT)' };
    // "tcp:443", "udp:53", or a bare port (tcp), or a bitmap:port range "30000-32767"
    const m = /^(?:(\w+):)?(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return { match: false, bits: 0 };
    const [, proto = 'tcp', lo = '', hi] = m;
    const inRange = port >= Number(lo) && port <= Number(hi ?? lo);
    return { match: inRange && (proto === p.proto || !/^(tcp|udp|sctp|udplite|icmp|icmpv6)$/.test(proto)), bits: 0 };
  }
  return { maybe: `a ${dim} dimension is not modelled` };
}

/** An ip or net part: an address, a CIDR, or a range "a-b"; bits = its prefix length (the more specific, the larger). */
function ipInEntry(addr: string, part: string): DimensionTest {
  const range = /^([^-/]+)-([^-/]+)$/.exec(part);
  if (range) {
    const a = parseAddress(addr)?.value;
    const lo = parseAddress(range[1] ?? '')?.value;
    const hi = parseAddress(range[2] ?? '')?.value;
    return { match: a !== undefined && lo !== undefined && hi !== undefined && a >= lo && a <= hi, bits: 0 };
  }
  const cidr = parseCidr(part);
  return { match: inCidr(addr, part), bits: cidr?.bits ?? 0 };
}
