/**
 * Captures (SPEC.md bar, issue 18's table): 1,000,000- and 5,000,000-packet captures analysed by
 * `netdoctor pcap` against `tshark -r FILE -q -z conv,tcp` reading the same file. The capture is generated:
 * TCP connections of 10 packets each (handshake, request, response, close) between 1,000 clients and 20
 * servers, Ethernet, IPv4 with timestamp options, one in 50 handshakes with a lost first SYN. Ours and
 * tshark run alternately; CPU-time medians, peak RSS. Every run's findings are checked against what the
 * generator wrote, and once per size against the same capture printed by tcpdump and read as text (the
 * other decoder, the same tracker).
 *   npm run bench:pcap            (PACKETS=1000000,5000000 RUNS=3 to vary)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, netdoctor, printHeader, printRow, settle, sideBySide, sizes, type Measured } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
/** a connection is 10 packets, 11 when its first SYN was lost */
const PACKETS_PER_CONNECTION = 10;
const SERVERS = 20;

/** Writes the capture; returns how many packets, and per server the connections whose first SYN was lost. */
function capture(path: string, connections: number): { packets: number; lostFirstSyn: Map<string, number> } {
  const fd = openSync(path, 'w');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let packets = 0;
  const flush = () => {
    writeSync(fd, Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  const lostFirstSyn = new Map<string, number>();
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const FRAME = 14 + 20 + 32;
  pending.push(header);
  let usec = 1_700_000_000 * 1e6;
  const packet = (
    src: number,
    dst: number,
    sport: number,
    dport: number,
    flags: number,
    seq: number,
    ack: number,
    tsval: number,
  ) => {
    const b = Buffer.alloc(16 + FRAME);
    b.writeUInt32LE(Math.floor(usec / 1e6), 0);
    b.writeUInt32LE(usec % 1e6, 4);
    b.writeUInt32LE(FRAME, 8);
    b.writeUInt32LE(FRAME, 12);
    const f = 16;
    b.writeUInt16BE(0x0800, f + 12);
    const ip = f + 14;
    b[ip] = 0x45;
    b.writeUInt16BE(20 + 32, ip + 2);
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    b.writeUInt32BE(src, ip + 12);
    b.writeUInt32BE(dst, ip + 16);
    const t = ip + 20;
    b.writeUInt16BE(sport, t);
    b.writeUInt16BE(dport, t + 2);
    b.writeUInt32BE(seq >>> 0, t + 4);
    b.writeUInt32BE(ack >>> 0, t + 8);
    b[t + 12] = 8 << 4;
    b[t + 13] = flags;
    b.writeUInt16BE(65535, t + 14);
    b[t + 20] = 1;
    b[t + 21] = 1;
    b[t + 22] = 8;
    b[t + 23] = 10;
    b.writeUInt32BE(tsval >>> 0, t + 24);
    pending.push(b);
    pendingBytes += b.length;
    packets++;
    if (pendingBytes > 1 << 20) flush();
    usec += 10;
  };
  // A lost first SYN is retransmitted 1 s later (Linux's initial RTO), that is 10,000 connections on.
  const LATER = 10_000;
  const deferred: (() => void)[][] = [];
  for (let i = 0; i < connections; i++) {
    const client = 0x0a000000 + (i % 1000) + 1;
    const server = 0x0a640000 + (i % SERVERS) + 1;
    const sport = 32768 + Math.floor(i / 1000);
    // ISNs spread over 32 bits as real ones are (RFC 6528 hashes them): a run of small ones was kinder to V8
    const isn = Math.imul(i + 1, 0x9e3779b1) >>> 0;
    const sisn = Math.imul(i + 1, 0x85ebca6b) >>> 0;
    const ts = 1000 + Math.floor(usec / 1000);
    const lost = i % 50 === 0;
    const rest = () => {
      const ts2 = lost ? ts + 1000 : ts;
      if (lost) packet(client, server, sport, 80, 0x02, isn, 0, ts2);
      packet(server, client, 80, sport, 0x12, sisn, isn + 1, ts2);
      packet(client, server, sport, 80, 0x10, isn + 1, sisn + 1, ts2);
      packet(client, server, sport, 80, 0x18, isn + 1, sisn + 1, ts2);
      packet(server, client, 80, sport, 0x10, sisn + 1, isn + 101, ts2);
      packet(server, client, 80, sport, 0x18, sisn + 1, isn + 101, ts2);
      packet(client, server, sport, 80, 0x10, isn + 101, sisn + 201, ts2);
      packet(client, server, sport, 80, 0x11, isn + 101, sisn + 201, ts2);
      packet(server, client, 80, sport, 0x11, sisn + 201, isn + 102, ts2);
      if (!lost) packet(client, server, sport, 80, 0x10, isn + 102, sisn + 202, ts2);
    };
    packet(client, server, sport, 80, 0x02, isn, 0, ts);
    if (lost) {
      const key = `10.100.0.${(i % SERVERS) + 1}:80`;
      lostFirstSyn.set(key, (lostFirstSyn.get(key) ?? 0) + 1);
      (deferred[i + LATER] ??= []).push(rest);
    } else rest();
    for (const later of deferred[i] ?? []) later();
    delete deferred[i];
  }
  for (const later of deferred.flat()) later();
  flush();
  closeSync(fd);
  return { packets, lostFirstSyn };
}

interface PcapReport {
  findings: {
    rule: string;
    subject: { capture?: string; server?: string; attempts?: number };
    evidence: { detail: string }[];
  }[];
  context: { captures: { packets: number; conversations: number; established: number; refused: number }[] };
}

/** The figures and findings that must not change, as one comparable text. */
function essence(stdout: string): string {
  const r = JSON.parse(stdout) as PcapReport;
  const c = r.context.captures[0];
  const findings = r.findings
    .map(({ rule, subject: { capture: _, ...subject } }) => `${rule} ${JSON.stringify(subject)}`)
    .sort();
  return JSON.stringify({
    conversations: c?.conversations,
    established: c?.established,
    refused: c?.refused,
    findings,
  });
}

function check(connections: number, packets: number, lostFirstSyn: Map<string, number>) {
  return (r: Measured) => {
    const report = JSON.parse(r.stdout) as PcapReport;
    const c = report.context.captures[0];
    if (c?.packets !== packets || c.conversations !== connections || c.established !== connections)
      throw new Error(`capture figures ${JSON.stringify(c)}; wrote ${packets} packets, ${connections} connections`);
    const retried = report.findings.filter((f) => f.rule === 'syn-retransmit-1s');
    const seen = new Map(retried.map((f) => [f.subject.server ?? '', f.subject.attempts]));
    if (seen.size !== lostFirstSyn.size || [...lostFirstSyn].some(([server, n]) => seen.get(server) !== n))
      throw new Error(
        `retransmitted SYNs per server ${JSON.stringify([...seen])}, wrote ${JSON.stringify([...lostFirstSyn])}`,
      );
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-pcap-'));
try {
  if (spawnSync('tshark', ['--version']).status !== 0)
    throw new Error('tshark is not installed (Debian package tshark)');
  printHeader();
  for (const wanted of sizes('PACKETS', [1_000_000, 5_000_000])) {
    const file = join(dir, `bench-${wanted}.pcap`);
    const connections = Math.round(wanted / PACKETS_PER_CONNECTION);
    const { packets, lostFirstSyn } = capture(file, connections);
    const first = netdoctor(['pcap', file]);
    check(connections, packets, lostFirstSyn)(first);
    if (packets <= 1_000_000) {
      // the same packets through the text decoder: the figures and findings must be the same
      const text = join(dir, 'bench.txt');
      const fd = openSync(text, 'w');
      const printed = spawnSync('tcpdump', ['-r', file, '-nn', '-tt'], { stdio: ['ignore', fd, 'ignore'] });
      closeSync(fd);
      if (printed.status !== 0) throw new Error('tcpdump -r failed');
      const fromText = essence(netdoctor(['pcap', text]).stdout);
      if (fromText !== essence(first.stdout))
        throw new Error(`text path differs:\n${fromText}\n${essence(first.stdout)}`);
      rmSync(text);
    }
    settle();
    const sides = sideBySide(
      RUNS,
      () => netdoctor(['pcap', file]),
      () => measure('tshark', ['-r', file, '-q', '-z', 'conv,tcp']),
      check(connections, packets, lostFirstSyn),
      [file],
    );
    printRow(
      `${packets.toLocaleString('en-US')}-packet capture (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB)`,
      'tshark -q -z conv,tcp',
      sides,
      packets >= 5_000_000 ? '≥ 10×, flat memory' : '≥ 10×, < 100 MiB',
    );
    rmSync(file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
