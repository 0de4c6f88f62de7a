/**
 * IPv4 and IPv6 addresses as numbers, and CIDR containment: what the walker's -s/-d, ipset's hash:net and
 * the route lookup's longest prefix all ask. Pure; an address that does not parse contains and is
 * contained by nothing (compared as text only when both sides are the same text).
 */

interface Address {
  family: 4 | 6;
  value: bigint;
}

export function parseAddress(text: string): Address | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return { family: 4, value };
}

function parseIpv6(text: string): Address | undefined {
  let s = text.toLowerCase();
  // an embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)?.[1];
  if (v4 !== undefined) {
    const tail = parseAddress(v4);
    if (!tail) return undefined;
    s = `${s.slice(0, -v4.length)}${(tail.value >> 16n).toString(16)}:${(tail.value & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined) => (h === undefined || h === '' ? [] : h.split(':'));
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  let value = 0n;
  for (const g of [...left, ...Array<string>(missing).fill('0'), ...right]) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return { family: 6, value };
}

/** "10.0.0.0/8", "fd00::/64", or a bare address (a /32 or /128); undefined when it does not parse. */
export function parseCidr(text: string): { net: Address; bits: number } | undefined {
  const [addr = '', bitsText] = text.split('/');
  const net = parseAddress(addr);
  if (!net) return undefined;
  const width = net.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  return { net, bits };
}

export function inCidr(ip: string, cidr: string): boolean {
  const a = parseAddress(ip);
  const c = parseCidr(cidr);
  if (!a || !c) return ip === cidr;
  if (a.family !== c.net.family) return false;
  const shift = BigInt((a.family === 4 ? 32 : 128) - c.bits);
  return a.value >> shift === c.net.value >> shift;
}

/** "10.0.0.1:80", "[fd00::1]:80": an address and port as ipvsadm, kubectl and iproute2 print them (one key everywhere). */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
