/**
 * pcap bar (SPEC.md): a 1,000,000-packet capture analysed by `netdoctor pcap` faster than
 * `tshark -r FILE -q -z conv,tcp` reading the same file. The capture is generated: 100,000 TCP connections
 * of 10 packets each (handshake, request, response, close) between 1,000 clients and 20 servers, Ethernet,
 * IPv4 with timestamp options, one in 50 handshakes with a lost first SYN. Prints times, the ratio and RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, runNetdoctor, time } from './lib.js';

const CONNECTIONS = 100_000;

function capture(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const FRAME = 14 + 20 + 32;
  const parts: Buffer[] = [header];
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
    parts.push(b);
    usec += 10;
  };
  for (let i = 0; i < CONNECTIONS; i++) {
    const client = 0x0a000000 + (i % 1000) + 1;
    const server = 0x0a640000 + (i % 20) + 1;
    const sport = 32768 + Math.floor(i / 1000);
    const isn = i * 7919;
    const sisn = i * 104729;
    const ts = 1000 + Math.floor(usec / 1000);
    const lostFirstSyn = i % 50 === 0;
    packet(client, server, sport, 80, 0x02, isn, 0, ts);
    if (lostFirstSyn) packet(client, server, sport, 80, 0x02, isn, 0, ts + 1000);
    packet(server, client, 80, sport, 0x12, sisn, isn + 1, ts);
    packet(client, server, sport, 80, 0x10, isn + 1, sisn + 1, ts);
    packet(client, server, sport, 80, 0x18, isn + 1, sisn + 1, ts);
    packet(server, client, 80, sport, 0x10, sisn + 1, isn + 101, ts);
    packet(server, client, 80, sport, 0x18, sisn + 1, isn + 101, ts);
    packet(client, server, sport, 80, 0x10, isn + 101, sisn + 201, ts);
    packet(client, server, sport, 80, 0x11, isn + 101, sisn + 201, ts);
    packet(server, client, 80, sport, 0x11, sisn + 201, isn + 102, ts);
    if (!lostFirstSyn) packet(client, server, sport, 80, 0x10, isn + 102, sisn + 202, ts);
  }
  return Buffer.concat(parts);
}

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-pcap-'));
try {
  const file = join(dir, 'bench.pcap');
  const bytes = capture();
  writeFileSync(file, bytes);
  const packets = (bytes.length - 24) / (16 + 66);
  console.log(
    `capture: ${packets.toLocaleString('en')} packets, ${CONNECTIONS.toLocaleString('en')} connections, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`,
  );
  if (spawnSync('tshark', ['--version']).status !== 0)
    throw new Error('tshark is not installed (Debian package tshark)');
  const ours: number[] = [];
  const theirs: number[] = [];
  let rss = 0;
  for (let run = 0; run < 3; run++) {
    ours.push(time(() => (rss = Math.max(rss, runNetdoctor(['pcap', file])))));
    theirs.push(
      time(() => {
        const r = spawnSync('tshark', ['-r', file, '-q', '-z', 'conv,tcp'], { encoding: 'utf8', maxBuffer: 1 << 28 });
        if (r.status !== 0) throw new Error(r.stderr);
      }),
    );
  }
  const a = median(ours);
  const b = median(theirs);
  console.log(
    `netdoctor pcap (whole CLI, 6 rules): ${a.toFixed(0)} ms median of 3, peak RSS ${(rss / 1024).toFixed(0)} MiB`,
  );
  console.log(`tshark -r FILE -q -z conv,tcp:       ${b.toFixed(0)} ms median of 3`);
  console.log(`ratio: netdoctor is ${(b / a).toFixed(2)}x ${b > a ? 'faster' : 'SLOWER'} than tshark`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
