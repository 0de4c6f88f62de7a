/**
 * `tcpdump` output as people paste it into threads (text, not a pcap file): one packet a line, optionally
 * with a date (-tttt), an interface and direction (-i any: "eth0 In"), or an IP header line before it (-v).
 *
 *   10:00:00.123456 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 2964027981, win 64240, options [mss 1460,
 *       sackOK,TS val 131627365 ecr 0,nop,wscale 10], length 0
 *   2023-01-01 10:00:00.123456 eth0  In  IP6 fd00::1.40000 > fd00::2.80: Flags [S.], seq 1, ack 2, …
 *   03:26:08.830155 2a:c7:37:d7:2e:07 > 4e:7d:69:53:97:61, ethertype IPv4 (0x0800), length 74: 10.244.1.192.38530 > … (-e)
 *
 * Only what the handshake tracker reads is taken: time, addresses and ports, flags, seq/ack and TSval. A
 * line that is a packet of another kind (UDP, ARP, ICMP without the quoted segment) is passed over; -q
 * output ("tcp 0") names no flags and is said to be unusable.
 */
import { setAddresses, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from './packet.js';

const PSH = 0x08;
const URG = 0x20;
const FLAG_BITS: Record<string, number> = {
  S: TCP_SYN,
  '.': TCP_ACK,
  F: TCP_FIN,
  R: TCP_RST,
  P: PSH,
  U: URG,
  E: 0,
  W: 0,
  e: 0,
  w: 0,
};

/**
 * The time as tcpdump prints it: HH:MM:SS.frac (default), with the date (-tttt), or seconds since the
 * epoch (-tt).
 */
const TIME = String.raw`^(?:(?:(?<date>\d{4}-\d\d-\d\d) )?(?<h>\d\d):(?<m>\d\d):(?<s>\d\d)|(?<epoch>\d{9,11}))(?:\.(?<frac>\d{1,9}))?`;

const LINE = new RegExp(
  TIME +
    String.raw`\s+(?:\S+\s+(?:In|Out|M|B|P)\s+)?(?:(?<ip>IP6?)\s+(?:\((?:[^()]|\([^()]*\))*\)\s*)?|(?:[0-9a-f]{2}:){5}[0-9a-f]{2} > (?:[0-9a-f]{2}:){5}[0-9a-f]{2}, ethertype IPv[46] \(0x[0-9a-f]+\), length \d+: )(?<src>[0-9a-fA-F:.]+)\.(?<sport>\d+) > (?<dst>[0-9a-fA-F:.]+)\.(?<dport>\d+): (?<rest>.*)$`,
);

const ICMP_LINE = new RegExp(
  TIME +
    String.raw`\s+(?:\S+\s+(?:In|Out|M|B|P)\s+)?IP6?\s+(?:\((?:[^()]|\([^()]*\))*\)\s*)?(?<from>[0-9a-fA-F:.]+) > (?<to>[0-9a-fA-F:.]+): (?:\[[^\]]*\] )?(?<icmp>ICMP6?,? .*)$`,
);

/**
 * An ICMP unreachable line. tcpdump names the unreachable host or port but (without -v) not the client's
 * port, so the quoted segment is known only as client address → server address[:port]; srcPort 0 and, where
 * the port is not named, dstPort 0 mean "not printed" and the tracker matches the latest open attempt.
 */
function parseIcmpLine(line: string, out: DecodedPacket): { timeUs: number } | false {
  const m = ICMP_LINE.exec(line.trim());
  if (!m?.groups) return false;
  const g = m.groups;
  const icmp = g.icmp ?? '';
  let server: string | undefined;
  let port = 0;
  let type = 3;
  let code: number | undefined;
  const v4port = /^ICMP (\S+) tcp port (\d+) unreachable/.exec(icmp);
  const v4host = /^ICMP (host|net) (\S+) unreachable( - admin prohibited)?/.exec(icmp);
  const v6 =
    /^ICMP6, destination unreachable, unreachable (route|prohibited|beyond scope|address|port),? (?:([0-9a-fA-F:.]+) tcp port (\d+)|([0-9a-fA-F:.]+))/.exec(
      icmp,
    );
  if (v4port) [server, port, code] = [v4port[1], Number(v4port[2]), 3];
  else if (v4host) [server, code] = [v4host[2], v4host[3] ? 13 : v4host[1] === 'host' ? 1 : 0];
  else if (v6) {
    type = 1;
    code = { route: 0, prohibited: 1, 'beyond scope': 2, address: 3, port: 4 }[v6[1] as 'route'];
    server = v6[2] ?? v6[4];
    port = v6[3] ? Number(v6[3]) : 0;
  }
  if (server === undefined || code === undefined) return false;
  out.kind = 'icmp-unreachable';
  // the quoted segment went from the client (the ICMP's destination) to the server
  setAddresses(out, g.to ?? '', server);
  out.srcPort = 0;
  out.dstPort = port;
  out.flags = 0;
  out.seq = 0;
  out.ack = 0;
  out.tsval = -1;
  out.icmpType = type;
  out.icmpCode = code;
  out.icmpFrom = g.from ?? '';
  return { timeUs: timeOf(g) };
}

function timeOf(g: Record<string, string | undefined>): number {
  const frac = (g.frac ?? '0').padEnd(6, '0').slice(0, 6);
  if (g.epoch !== undefined) return Number(g.epoch) * 1e6 + Number(frac);
  const dayUs = ((Number(g.h) * 60 + Number(g.m)) * 60 + Number(g.s)) * 1e6 + Number(frac);
  return (g.date ? Date.parse(`${g.date}T00:00:00Z`) * 1000 : 0) + dayUs;
}

/** One tcpdump line as a TCP packet or an ICMP unreachable, filled into `out`; false when it is neither. */
export function parseTcpdumpLine(line: string, out: DecodedPacket): { timeUs: number } | false {
  const m = LINE.exec(line.trim());
  if (!m?.groups) return parseIcmpLine(line, out);
  const g = m.groups;
  const flags = /^Flags \[([^\]]*)\]/.exec(g.rest ?? '');
  // "10.77.0.2 > 10.77.0.1: ICMP …" also reads as address.port > address.port: no flags, so try ICMP
  if (!flags) return parseIcmpLine(line, out);
  let bits = 0;
  for (const c of flags[1] ?? '') bits |= FLAG_BITS[c] ?? 0;
  const seq = /\bseq (\d+)/.exec(g.rest ?? '');
  const ack = /\back (\d+)/.exec(g.rest ?? '');
  const ts = /\bTS val (\d+)/.exec(g.rest ?? '');
  out.kind = 'tcp';
  setAddresses(out, g.src ?? '', g.dst ?? '');
  out.srcPort = Number(g.sport);
  out.dstPort = Number(g.dport);
  out.flags = bits;
  out.seq = seq ? Number(seq[1]) >>> 0 : 0;
  out.ack = ack ? Number(ack[1]) >>> 0 : 0;
  out.tsval = ts ? Number(ts[1]) >>> 0 : -1;
  return { timeUs: timeOf(g) };
}

/** Whether a text looks like tcpdump's output: enough lines with an address.port > address.port shape. */
export function looksLikeTcpdumpText(head: string): boolean {
  return /^(?:(?:\S+ )?\d\d:\d\d:\d\d|\d{9,11})(?:\.\d+)?\s+(?:\S+\s+(?:In|Out)\s+)?(?:IP6?\s|(?:[0-9a-f]{2}:){5}[0-9a-f]{2} > )/m.test(
    head,
  );
}
