/**
 * Link layer → IPv4/IPv6 → TCP or ICMP, decoded into one reused object (no allocation per IPv4 packet: the
 * tracker keys flows by numbers, and an IPv4 address's text is made only when asked for, by srcText/dstText).
 * Link types (tcpdump.org link-layer header types): 1 Ethernet (with 802.1Q/802.1ad tags), 113 Linux
 * cooked v1 (`tcpdump -i any` before libpcap 1.10), 276 Linux cooked v2, 101/12/14 raw IP, 228 raw IPv4,
 * 229 raw IPv6, 0 BSD loopback.
 */

import { be16, be32, fnv1aText } from './bytes.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface DecodedPacket {
  /**
   * Wireshark's frame number, and the time captured in µs (NaN when the capture has none): set by the reader,
   * not by decodePacket. On the packet rather than beside it: a time passed as an argument to a function not
   * inlined is boxed in a new heap number per packet.
   */
  number: number;
  timeUs: number;
  kind: 'tcp' | 'icmp-unreachable' | 'other';
  /**
   * addresses as text ("10.0.0.1", "fd00::1"); for IPv4 from a binary capture '' until srcText()/dstText()
   * fill them (most packets never need the text: one map lookup each saved per packet)
   */
  src: string;
  dst: string;
  /**
   * the same addresses as numbers, the flow table's key: an IPv4 address as its 32 bits, an IPv6 address as a
   * 32-bit hash of its text (v6 true: equal numbers then still need equal text). Set both with setAddresses().
   * Signed (int32): V8 keeps them as small integers in the objects that hold them; 192.168.0.1 as an unsigned
   * number would be a double, boxed in every flow, and turn the flows' shape over mid-capture.
   */
  srcNum: number;
  dstNum: number;
  v6: boolean;
  srcPort: number;
  dstPort: number;
  flags: number;
  seq: number;
  ack: number;
  /** TCP timestamp option TSval, or -1 */
  tsval: number;
  /** for ICMP: type and code; src/dst/ports/seq above then describe the TCP segment it quotes (flags 0) */
  icmpType: number;
  icmpCode: number;
  /** the sender of the ICMP message */
  icmpFrom: string;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    number: 0,
    timeUs: NaN,
    kind: 'other',
    src: '',
    dst: '',
    srcNum: 0,
    dstNum: 0,
    v6: false,
    srcPort: 0,
    dstPort: 0,
    flags: 0,
    seq: 0,
    ack: 0,
    tsval: -1,
    icmpType: 0,
    icmpCode: 0,
    icmpFrom: '',
  };
}

/** Where the IP header starts in d (between start and end), or -1 for frames that carry no IP. */
function ipOffset(linkType: number, d: Buffer, start: number, end: number): number {
  const length = end - start;
  let at: number;
  let ethertype: number;
  switch (linkType) {
    case 1:
      if (length < 14) return -1;
      ethertype = be16(d, start + 12);
      at = start + 14;
      while ((ethertype === 0x8100 || ethertype === 0x88a8) && at + 4 <= end) {
        ethertype = be16(d, at + 2);
        at += 4;
      }
      return ethertype === 0x0800 || ethertype === 0x86dd ? at : -1;
    case 113:
      if (length < 16) return -1;
      ethertype = be16(d, start + 14);
      return ethertype === 0x0800 || ethertype === 0x86dd ? start + 16 : -1;
    case 276:
      if (length < 20) return -1;
      ethertype = be16(d, start);
      return ethertype === 0x0800 || ethertype === 0x86dd ? start + 20 : -1;
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return start;
    case 0:
      return length >= 4 ? start + 4 : -1;
    default:
      return -1;
  }
}

/** IPv4 text by address: a capture holds few distinct hosts, so each is written once (bounded). */
const V4_TEXT = new Map<number, string>();
const V4_TEXT_MAX = 65_536;

function ipv4Text(n: number): string {
  let text = V4_TEXT.get(n);
  if (text === undefined) {
    if (V4_TEXT.size >= V4_TEXT_MAX) V4_TEXT.clear();
    text = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    V4_TEXT.set(n, text);
  }
  return text;
}

/** The packet's source address as text. */
export function srcText(p: DecodedPacket): string {
  if (p.src === '') p.src = ipv4Text(p.srcNum);
  return p.src;
}

/** The packet's destination address as text. */
export function dstText(p: DecodedPacket): string {
  if (p.dst === '') p.dst = ipv4Text(p.dstNum);
  return p.dst;
}

/** FNV-1a of an IPv6 address's text: its number in the flow table (the text settles collisions). */
const textHash = fnv1aText;

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Sets the addresses from their text (tcpdump's printed lines), numbers included. */
export function setAddresses(out: DecodedPacket, src: string, dst: string): void {
  out.src = src;
  out.dst = dst;
  const s = DOTTED_QUAD.exec(src);
  const d = DOTTED_QUAD.exec(dst);
  out.v6 = !s || !d;
  out.srcNum = s && d ? quad(s) : textHash(src);
  out.dstNum = s && d ? quad(d) : textHash(dst);
}

const quad = (m: RegExpExecArray) => (Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4]);

function ipv6(d: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(d.readUInt16BE(at + i).toString(16));
  // the longest run of zero groups becomes ::
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Decodes an IP packet at `at`; returns false for anything that is not TCP or an ICMP unreachable. */
function decodeIp(d: Buffer, at: number, end: number, out: DecodedPacket, quoted: boolean): boolean {
  if (at >= end) return false;
  const version = (d[at] ?? 0) >> 4;
  let proto: number;
  let l4: number;
  if (version === 4) {
    if (at + 20 > end) return false;
    const ihl = ((d[at] ?? 0) & 0x0f) * 4;
    // a non-first fragment has no transport header
    if ((be16(d, at + 6) & 0x1fff) !== 0) return false;
    proto = d[at + 9] ?? 0;
    out.srcNum = be32(d, at + 12) | 0;
    out.dstNum = be32(d, at + 16) | 0;
    out.src = '';
    out.dst = '';
    out.v6 = false;
    l4 = at + ihl;
  } else if (version === 6) {
    if (at + 40 > end) return false;
    proto = d[at + 6] ?? 0;
    out.src = ipv6(d, at + 8);
    out.dst = ipv6(d, at + 24);
    out.srcNum = textHash(out.src);
    out.dstNum = textHash(out.dst);
    out.v6 = true;
    l4 = at + 40;
    // hop-by-hop, routing, destination options: skip to the transport header
    for (let hops = 0; (proto === 0 || proto === 43 || proto === 60) && hops < 4 && l4 + 2 <= end; hops++) {
      proto = d[l4] ?? 0;
      l4 += ((d[l4 + 1] ?? 0) + 1) * 8;
    }
  } else return false;

  if (proto === 6) {
    // an ICMP error quotes only 8 bytes of TCP: ports and sequence number
    if (l4 + (quoted ? 8 : 20) > end) return false;
    out.srcPort = be16(d, l4);
    out.dstPort = be16(d, l4 + 2);
    out.seq = be32(d, l4 + 4);
    if (quoted) {
      out.flags = 0;
      out.ack = 0;
      out.tsval = -1;
      return true;
    }
    out.ack = be32(d, l4 + 8);
    const dataOffset = ((d[l4 + 12] ?? 0) >> 4) * 4;
    out.flags = d[l4 + 13] ?? 0;
    out.tsval = -1;
    const optionsEnd = Math.min(l4 + dataOffset, end);
    for (let o = l4 + 20; o < optionsEnd;) {
      const kind = d[o];
      if (kind === 0) break;
      if (kind === 1) {
        o++;
        continue;
      }
      const len = d[o + 1];
      if (len === undefined || len < 2) break;
      if (kind === 8 && len === 10 && o + 10 <= optionsEnd) {
        out.tsval = be32(d, o + 2);
        break;
      }
      o += len;
    }
    out.kind = 'tcp';
    return true;
  }
  if (quoted) return false;
  // ICMP destination unreachable (3) / ICMPv6 (1) quoting a TCP segment
  if ((proto === 1 && version === 4) || (proto === 58 && version === 6)) {
    if (l4 + 8 > end) return false;
    const type = d[l4] ?? 0;
    if (!((proto === 1 && type === 3) || (proto === 58 && type === 1))) return false;
    const from = srcText(out);
    const code = d[l4 + 1] ?? 0;
    if (!decodeIp(d, l4 + 8, end, out, true)) return false;
    out.kind = 'icmp-unreachable';
    out.icmpType = type;
    out.icmpCode = code;
    out.icmpFrom = from;
    return true;
  }
  return false;
}

/** Decodes the frame data[start, end) (the whole buffer by default): a reader passes its chunk, not a copy. */
export function decodePacket(
  linkType: number,
  data: Buffer,
  out: DecodedPacket,
  start = 0,
  end = data.length,
): DecodedPacket {
  out.kind = 'other';
  const at = ipOffset(linkType, data, start, end);
  if (at >= 0) decodeIp(data, at, end, out, false);
  return out;
}
