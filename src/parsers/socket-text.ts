/**
 * Socket tables as people send them: `ss -tan` / `ss -tanp` / `ss -an` and `netstat -an` / `netstat -tanp`
 * (net-tools and busybox). The incident write-ups counted ESTABLISHED sockets with `netstat -an`; these
 * rows feed the same socket facts as /proc/net/tcp. UDP and UNIX rows are passed over; a line that is none
 * of these is counted as not understood.
 */
import { ParseError, UnreadLines, forEachLine } from './parse-error.js';
import { TCP_STATES } from './tcp-states.js';

export interface TextSocket {
  /** TCP state code as in /proc/net/tcp (1 ESTABLISHED … 10 LISTEN) */
  state: number;
  family: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  recvQ: number;
  sendQ: number;
  line: number;
  raw: string;
}

const SS_STATES: Record<string, number> = {
  ESTAB: 1,
  'SYN-SENT': 2,
  'SYN-RECV': 3,
  'FIN-WAIT-1': 4,
  'FIN-WAIT-2': 5,
  'TIME-WAIT': 6,
  UNCONN: 7,
  CLOSE: 7,
  'CLOSE-WAIT': 8,
  'LAST-ACK': 9,
  LISTEN: 10,
  CLOSING: 11,
};
/** netstat prints the kernel's own state names (/proc/net/tcp's order gives the code). */
const NETSTAT_STATES: Record<string, number> = Object.fromEntries(
  TCP_STATES.flatMap((name, code) => (name === '' ? [] : [[name, code]])),
);

/** ss and netstat print a few well-known ports by name without -n. */
const PORT_NAMES: Record<string, number> = {
  http: 80,
  https: 443,
  ssh: 22,
  domain: 53,
  'http-alt': 8080,
  mysql: 3306,
  postgresql: 5432,
  redis: 6379,
  smtp: 25,
  sunrpc: 111,
  ipp: 631,
  ldap: 389,
  ldaps: 636,
  webcache: 8080,
  'https-alt': 8443,
  'pcsync-https': 8443,
  imap: 143,
  imaps: 993,
  pop3: 110,
  ntp: 123,
  bgp: 179,
};

/** "10.0.0.1:80", "[::ffff:10.0.0.1]:80", ":::80", "*:*", "[fe80::1%eth0]:22", "127.0.0.53%lo:53". */
export function splitEndpoint(text: string): { ip: string; port: number; family: 4 | 6 } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : /^\d{1,5}$/.test(portText) ? Number(portText) : PORT_NAMES[portText];
  if (port === undefined || port > 65535) return undefined;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  host = host.replace(/%[\w.-]+$/, '');
  if (host === '*' || host === '') return { ip: host === '' ? '::' : '0.0.0.0', port, family: host === '' ? 6 : 4 };
  if (host === 'localhost') return { ip: '127.0.0.1', port, family: 4 };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return { ip: host, port, family: 4 };
  if (/^[0-9a-fA-F:.]+$/.test(host) && host.includes(':') && ipv6Bytes(host))
    return { ip: host.toLowerCase(), port, family: 6 };
  return undefined;
}

/** 16 bytes of an IPv6 address in text ("::", "fd00::1", "::ffff:10.0.0.1"), or undefined. */
export function ipv6Bytes(text: string): number[] | undefined {
  let t = text;
  const tail: number[] = [];
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (v4) {
    tail.push(...v4.slice(1).map(Number));
    if (tail.some((b) => b > 255)) return undefined;
    t = t.slice(0, v4.index) + '0:0';
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const [before = '', after] = halves;
  const left = parse(before);
  const right = after === undefined ? [] : parse(after);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 255];
  });
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Why an endpoint could not be read, when the listing's options are the cause. */
function hint(endpoint: string): string {
  if (endpoint.length >= 23 && !endpoint.includes('['))
    return ' (netstat cuts long IPv6 addresses; use netstat -W or ss)';
  if (/[a-z]{2,}/i.test(endpoint.split(':')[0] ?? '') || /:[a-z]/i.test(endpoint))
    return ' (a host or service name: list with -n for numbers)';
  return '';
}

/**
 * Reads an ss or netstat socket listing; calls `onSocket` for every TCP row. Throws ParseError only when
 * no line of the input was a socket row or a header of one.
 */
export function parseSocketText(
  text: string,
  source: string,
  onSocket: (s: TextSocket) => void,
  unread = new UnreadLines(),
): { sockets: number; other: number } {
  let sockets = 0;
  let other = 0;
  let headers = 0;
  forEachLine(text, (line, n) => {
    const t = line.trim();
    if (t === '') return;
    if (
      /^(Netid\s+)?State\s+Recv-Q\s+Send-Q|^Proto\s+Recv-Q\s+Send-Q|^Active (Internet|UNIX|Bluetooth)|^Proto\s+RefCnt/.test(
        t,
      )
    ) {
      headers++;
      return;
    }
    unread.guard(n, () => {
      const f = t.split(/\s+/);
      let proto = 'tcp';
      let i = 0;
      const head = f[0] ?? '';
      if (/^(tcp6?|udp6?|raw6?|unix|u_\w+|nl|p_\w+|icmp6|mptcp|sctp|v_\w+|x_\w+)$/.test(head)) {
        proto = head;
        i = 1;
      }
      if (!proto.startsWith('tcp') && proto !== 'mptcp') {
        other++;
        return;
      }
      const ssState = SS_STATES[f[i] ?? ''];
      const ss = ssState !== undefined && /^\d+$/.test(f[i + 1] ?? '');
      let state: number | undefined;
      // a word missing from a short line stays undefined and is refused below
      let recvQ: string | undefined;
      let sendQ: string | undefined;
      let local: string | undefined;
      let peer: string | undefined;
      if (ss) {
        state = ssState;
        [recvQ, sendQ, local, peer] = [f[i + 1], f[i + 2], f[i + 3], f[i + 4]];
      } else {
        [recvQ, sendQ, local, peer] = [f[i], f[i + 1], f[i + 2], f[i + 3]];
        state = NETSTAT_STATES[f[i + 4] ?? ''];
        if (state === undefined)
          throw new ParseError(source, n, `unknown TCP state "${(f[i + 4] ?? '').slice(0, 20)}"`);
      }
      if (!/^\d+$/.test(recvQ ?? '') || !/^\d+$/.test(sendQ ?? ''))
        throw new ParseError(source, n, 'expected Recv-Q and Send-Q numbers');
      const l = splitEndpoint(local ?? '');
      const r = splitEndpoint(peer ?? '');
      if (!l)
        throw new ParseError(source, n, `not an address:port: "${(local ?? '').slice(0, 60)}"${hint(local ?? '')}`);
      if (!r) throw new ParseError(source, n, `not an address:port: "${(peer ?? '').slice(0, 60)}"${hint(peer ?? '')}`);
      const family: 4 | 6 = l.family === 6 || r.family === 6 ? 6 : 4;
      sockets++;
      onSocket({
        state,
        family,
        localIp: l.ip,
        localPort: l.port,
        remoteIp: r.ip,
        remotePort: r.port,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        line: n,
        raw: t,
      });
    });
  });
  if (sockets === 0 && other === 0 && headers === 0 && unread.count > 0) {
    throw new ParseError(
      source,
      unread.kept[0]?.line ?? 1,
      `not an ss or netstat socket listing (${unread.kept[0]?.reason ?? ''})`,
    );
  }
  return { sockets, other };
}
