/**
 * Consistent address redaction for bundles: every IP address becomes a stand-in from a documentation range
 * (IPv4 198.18.0.0/15, IPv6 2001:db8::/32), the same stand-in for the same address everywhere, distinct
 * addresses staying distinct so that the analysis of a redacted bundle finds the same problems.
 * Unspecified, loopback and broadcast addresses carry no identity and are kept.
 */
import { ipv4, ipv6, type ByteOrder } from '../parsers/proc-net-tcp.js';
import { at, group } from '../model/indexing.js';

const V4 = /\b(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b/g;
const V4_DASHED = /\bip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\b/g;
const V6 =
  /(?<![0-9A-Za-z:.])(?:[0-9a-fA-F]{1,4}:){2,7}(?::|[0-9a-fA-F]{1,4})?(?:(?::[0-9a-fA-F]{1,4}){1,6})?(?![0-9A-Za-z:])/g;

export class Redactor {
  private readonly v4 = new Map<string, string>();
  private readonly v6 = new Map<string, string>();
  private readonly order: ByteOrder;

  constructor(order: ByteOrder = 'LE') {
    this.order = order;
  }

  ipv4(addr: string): string {
    if (addr === '0.0.0.0' || addr === '255.255.255.255' || addr.startsWith('127.')) return addr;
    let out = this.v4.get(addr);
    if (!out) {
      const n = this.v4.size + 1; // 198.18.0.1 …; /15 holds 131,070 addresses
      out = `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      this.v4.set(addr, out);
    }
    return out;
  }

  ipv6(addr: string): string {
    const lower = addr.toLowerCase();
    if (lower === '::' || lower === '::1') return addr;
    if (lower.startsWith('::ffff:') && lower.includes('.')) return `::ffff:${this.ipv4(lower.slice(7))}`;
    let out = this.v6.get(lower);
    if (!out) {
      const n = this.v6.size + 1;
      out = `2001:db8::${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
      this.v6.set(lower, out);
    }
    return out;
  }

  /** Free text: dotted IPv4, IPv6, and IPv4 spelt into hostnames ("ip-10-0-1-23"). */
  text(s: string): string {
    return s
      .replace(V4_DASHED, (m, a, b, c, d) => {
        const parts = [a, b, c, d].map(Number);
        if (parts.some((p) => p > 255)) return m;
        return 'ip-' + this.ipv4(parts.join('.')).replaceAll('.', '-');
      })
      .replace(V4, (m) => this.ipv4(m))
      .replace(V6, (m) => (isIpv6(m) ? this.ipv6(m) : m));
  }

  /** One line of /proc/net/tcp{,6}: the two hex addresses are decoded, replaced and encoded again. */
  procNetTcpLine(line: string): string {
    return line.replace(
      /^(\s*\d+:\s+)([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4}) ([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):/,
      (_m, lead: string, local: string, lport: string, remote: string) =>
        `${lead}${this.hexAddress(local)}:${lport} ${this.hexAddress(remote)}:`,
    );
  }

  /**
   * One line of /proc/net/ip_vs or ip_vs_conn: IPv4 as %08X of the host-order value (reads left to right),
   * IPv6 as the full %pI6 form; both stay in their format so the redacted file still parses.
   */
  ipvsLine(line: string): string {
    if (line.startsWith('FWM')) return line; // a firewall mark, not an address
    return line
      .replace(/(?<![0-9A-Fa-f:])([0-9A-F]{8})(?=[: ])/g, (hex: string) =>
        encodeV4(this.ipv4(ipv4(parseInt(hex, 16), 'BE')), 'BE'),
      )
      .replace(/(?<![0-9A-Fa-f:])((?:[0-9a-f]{4}:){7}[0-9a-f]{4})(?![0-9A-Fa-f:])/g, (full: string) =>
        fullIpv6(this.ipv6(full)),
      );
  }

  private hexAddress(hex: string): string {
    if (hex.length === 8) return encodeV4(this.ipv4(ipv4(parseInt(hex, 16), this.order)), this.order);
    const plain = ipv6(hex, this.order);
    return encodeV6(this.ipv6(plain), this.order);
  }
}

function isIpv6(s: string): boolean {
  if (!s.includes('::') && s.split(':').length !== 8) return false;
  return s.split('::').length <= 2;
}

function fullIpv6(addr: string): string {
  const b = ipv6Bytes(addr);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((at(b, i) << 8) | at(b, i + 1)).toString(16).padStart(4, '0'));
  return groups.join(':');
}

function encodeV4(addr: string, order: ByteOrder): string {
  const b = addr.split('.').map(Number);
  const bytes = order === 'LE' ? b.reverse() : b;
  return bytes
    .map((x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

function encodeV6(addr: string, order: ByteOrder): string {
  const bytes = ipv6Bytes(addr);
  let out = '';
  for (let g = 0; g < 4; g++) {
    const group = bytes.slice(g * 4, g * 4 + 4);
    out += (order === 'LE' ? group.reverse() : group).map((x) => x.toString(16).padStart(2, '0')).join('');
  }
  return out.toUpperCase();
}

function ipv6Bytes(addr: string): number[] {
  let s = addr;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const dotted = group(v4, 1);
    tail = dotted.split('.').map(Number);
    s = s.slice(0, -dotted.length) + '0:0';
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest === undefined ? [] : new Array<string>(8 - h.length - r.length).fill('0');
  const words = [...h, ...fill, ...r].map((w) => parseInt(w || '0', 16));
  const bytes = words.flatMap((w) => [w >> 8, w & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}
