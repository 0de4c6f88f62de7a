/**
 * The capture reader and decoder on real captures (test/fixtures/pcap, made by capture.sh with tcpdump in
 * network namespaces), and on byte-exact transformations of them for what this kernel cannot produce:
 * big-endian pcap, 802.1Q tags (no 8021q module here), raw IP frames, cut-short files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HandshakeTracker } from '../../src/facts/handshakes.js';
import { decodePacket, newDecodedPacket, setAddresses } from '../../src/parsers/packet.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { CaptureReader, packetData, type CapturedPacket } from '../../src/parsers/pcap.js';
import { pcapFixture } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

interface Seen {
  number: number;
  timeUs: number;
  linkType: number;
  length: number;
  head: string;
}

function read(
  bytes: Buffer,
  chunks: number[] = [bytes.length],
): { packets: Seen[]; reader: CaptureReader; truncated: number } {
  const packets: Seen[] = [];
  const reader = new CaptureReader('test', (p: CapturedPacket) =>
    packets.push({
      number: p.number,
      timeUs: p.timeUs,
      linkType: p.linkType,
      length: packetData(p).length,
      head: packetData(p).subarray(0, 48).toString('hex'),
    }),
  );
  let at = 0;
  for (const size of chunks) {
    reader.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) reader.push(bytes.subarray(at));
  return { packets, reader, truncated: reader.end().truncatedBytes };
}

/** A microsecond pcap rewritten big-endian, as a SPARC or a big-endian MIPS router writes it. */
function toBigEndian(le: Buffer): Buffer {
  const out = Buffer.from(le);
  out.writeUInt32BE(le.readUInt32LE(0), 0);
  out.writeUInt16BE(le.readUInt16LE(4), 4);
  out.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) out.writeUInt32BE(le.readUInt32LE(o), o);
  for (let at = 24; at + 16 <= le.length;) {
    const incl = le.readUInt32LE(at + 8);
    for (const o of [0, 4, 8, 12]) out.writeUInt32BE(le.readUInt32LE(at + o), at + o);
    at += 16 + incl;
  }
  return out;
}

/** Rewrites every record of an Ethernet pcap: each frame through `edit`, lengths fixed, link type set. */
function rewriteFrames(le: Buffer, linkType: number, edit: (frame: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from(le.subarray(0, 24))];
  parts[0]?.writeUInt32LE(linkType, 20);
  for (let at = 24; at + 16 <= le.length;) {
    const incl = le.readUInt32LE(at + 8);
    const frame = edit(le.subarray(at + 16, at + 16 + incl));
    const header = Buffer.from(le.subarray(at, at + 16));
    header.writeUInt32LE(frame.length, 8);
    header.writeUInt32LE(frame.length, 12);
    parts.push(header, frame);
    at += 16 + incl;
  }
  return Buffer.concat(parts);
}

const vlanTagged = (frame: Buffer) =>
  Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), frame.subarray(12)]);

function rulesInput(bytes: Buffer) {
  const tracker = new HandshakeTracker();
  const d = newDecodedPacket();
  const reader = new CaptureReader('t', (p) => {
    decodePacket(p.linkType, p.bytes, d, p.start, p.end);
    d.number = p.number;
    d.timeUs = p.timeUs;
    tracker.add(d);
  });
  reader.push(bytes);
  reader.end();
  return tracker.facts({ source: 't', linkTypes: [], interfaces: 1, packets: reader.packetCount, truncatedBytes: 0 });
}

describe('capture reader', () => {
  it('reads each real capture: format, link type, packet count', () => {
    const cases: [string, string, number, number][] = [
      ['synack-retransmitted.pcap', 'pcap', 1, 9],
      ['tuple-reuse-sll2.pcap', 'pcap', 276, 40],
      ['syn-retransmit-1s-sll.pcap', 'pcap-ns', 113, 11],
      ['nat-timestamps.pcapng', 'pcapng', 1, 60],
      // counts as capinfos -c prints them
    ];
    for (const [file, format, linkType, count] of cases) {
      const { packets, reader } = read(readFileSync(pcapFixture(file)));
      assert.equal(reader.format, format, file);
      assert.equal(packets.length, count, file);
      assert.ok(
        packets.every((p) => p.linkType === linkType),
        file,
      );
      assert.ok(
        packets.every((p, i) => i === 0 || p.timeUs >= at(packets, i - 1).timeUs),
        `${file}: times go forward`,
      );
    }
  });

  it('pcapng and pcap of the same capture give the same packets and times', () => {
    const a = read(readFileSync(pcapFixture('nat-timestamps.pcap'))).packets;
    const b = read(readFileSync(pcapFixture('nat-timestamps.pcapng'))).packets;
    assert.deepEqual(b, a);
  });

  it('nanosecond timestamps keep their sub-microsecond part', () => {
    const { packets } = read(readFileSync(pcapFixture('syn-retransmit-1s-sll.pcap')));
    assert.ok(
      packets.some((p) => !Number.isInteger(p.timeUs)),
      'a nanosecond capture has fractional microseconds',
    );
  });

  it('chunk boundaries anywhere give the same packets (streaming)', () => {
    const bytes = readFileSync(pcapFixture('nat-timestamps.pcapng'));
    const whole = read(bytes).packets;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        assert.deepEqual(read(bytes, sizes).packets, whole);
      }),
      { numRuns: 200 },
    );
  });

  it('big-endian pcap reads the same as little-endian', () => {
    const le = readFileSync(pcapFixture('synack-retransmitted.pcap'));
    assert.deepEqual(read(toBigEndian(le)).packets, read(le).packets);
  });

  it('addresses from 128.0.0.0 up (negative as int32) give the same facts as 10.x', () => {
    // 10.77.0.x → 192.77.0.x and 10.78.0.x → 203.78.0.x: the first octet of both addresses in each IPv4 header
    const to = (first: number) => (frame: Buffer) => {
      const out = Buffer.from(frame);
      for (const at of [14 + 12, 14 + 16]) if (out[at] === 10) out[at] = first;
      return out;
    };
    for (const [name, first] of [
      ['challenge-ack.pcap', 192],
      ['synack-retransmitted.pcap', 192],
      ['nat-timestamps.pcap', 203],
    ] as const) {
      const le = readFileSync(pcapFixture(name));
      const plain = JSON.stringify(rulesInput(le)).replaceAll('"10.', `"${first}.`);
      assert.ok(plain.includes(`"${first}.`), name);
      assert.equal(JSON.stringify(rulesInput(rewriteFrames(le, 1, to(first)))), plain, name);
    }
  });

  it('802.1Q-tagged frames and raw IP frames decode to the same handshakes', () => {
    const le = readFileSync(pcapFixture('synack-retransmitted.pcap'));
    const plain = rulesInput(le);
    assert.equal(plain.synAckUnacknowledged.length, 1);
    assert.deepEqual(rulesInput(rewriteFrames(le, 1, vlanTagged)).synAckUnacknowledged, plain.synAckUnacknowledged);
    assert.deepEqual(
      rulesInput(rewriteFrames(le, 101, (f) => f.subarray(14))).synAckUnacknowledged,
      plain.synAckUnacknowledged,
    );
  });

  it('a capture cut mid-packet reads up to the cut and says how much was left', () => {
    const bytes = readFileSync(pcapFixture('synack-retransmitted.pcap'));
    const { packets, truncated } = read(bytes.subarray(0, bytes.length - 10));
    assert.equal(packets.length, 8);
    assert.ok(truncated > 0);
  });

  it('anything else is a ParseError that says what a capture is', () => {
    assert.throws(
      () => read(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n')),
      (e: unknown) => e instanceof ParseError && /not a pcap or pcapng file/.test(e.reason),
    );
    assert.throws(
      () => read(Buffer.alloc(0)),
      (e: unknown) => e instanceof ParseError && /empty file/.test(e.reason),
    );
  });

  it('fuzz: mutated captures only ever throw ParseError', () => {
    const real = readFileSync(pcapFixture('nat-timestamps.pcapng'));
    const realPcap = readFileSync(pcapFixture('tuple-reuse-sll2.pcap'));
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        (ng, edits) => {
          const bytes = Buffer.from(ng ? real : realPcap);
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          try {
            rulesInput(bytes);
          } catch (e) {
            if (!(e instanceof ParseError)) throw e;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('handshake tracker bounds', () => {
  it('past the live-flow cap new tuples are counted, not followed, and the facts say how many packets', () => {
    const tracker = new HandshakeTracker(3);
    const p = newDecodedPacket();
    for (let i = 0; i < 10; i++) {
      setAddresses(p, '10.0.0.1', '10.0.0.2');
      Object.assign(p, {
        kind: 'tcp',
        srcPort: 40000 + i,
        dstPort: 80,
        flags: 2,
        seq: i,
        ack: 0,
        tsval: -1,
        number: i + 1,
        timeUs: i,
      });
      tracker.add(p);
    }
    const facts = tracker.facts({ source: 'x', linkTypes: [], interfaces: 0, packets: 10, truncatedBytes: 0 });
    assert.equal(facts.tuples, 3);
    assert.equal(facts.untrackedPackets, 7);
  });

  /** Feeds packets [src, sport, dst, dport, flags, seq, µs after the start (default: the index)]. */
  function track(packets: [string, number, string, number, number, number, number?][]) {
    const tracker = new HandshakeTracker();
    const p = newDecodedPacket();
    packets.forEach(([src, srcPort, dst, dstPort, flags, seq, us], i) => {
      setAddresses(p, src, dst);
      Object.assign(p, { kind: 'tcp', srcPort, dstPort, flags, seq, ack: 0, tsval: -1 });
      Object.assign(p, { number: i + 1, timeUs: 1_700_000_000_000_000 + (us ?? i) });
      tracker.add(p);
    });
    const packetCount = packets.length;
    return tracker.facts({ source: 'x', linkTypes: [], interfaces: 0, packets: packetCount, truncatedBytes: 0 });
  }
  const SYN = 0x02;
  const SYN_ACK = 0x12;
  const RST = 0x04;
  /** A SYN to the Service address, its DNAT-ed copy to the pod, the pod's untranslated reply reset by the client. */
  const dnatCopy = (client: string, vip: string, pod: string, isn: number) =>
    [
      [client, 40000, vip, 80, SYN, isn],
      [client, 40000, pod, 8080, SYN, isn],
      [pod, 8080, client, 40000, SYN_ACK, 7],
      [client, 40000, pod, 8080, RST, 0],
    ] as [string, number, string, number, number, number][];

  it('a packet after a connection closed keeps its record from retirement (the record takes the time in place)', () => {
    const S = 1_000_000;
    const [c, srv] = ['10.0.0.1', '10.0.0.2'];
    const facts = track([
      [c, 40000, srv, 80, 0x02, 7, 0], // SYN, SYN-ACK, ACK, FIN, FIN+ACK: closed at 0.2 s
      [srv, 80, c, 40000, 0x12, 9, 1],
      [c, 40000, srv, 80, 0x10, 8, 2],
      [c, 40000, srv, 80, 0x11, 8, 100_000],
      [srv, 80, c, 40000, 0x11, 10, 200_000],
      [c, 40000, srv, 80, 0x10, 9, 100 * S], // a late ACK, 100 s after the close
      // another connection's packets, 150 s in, past the sweep: a record idle for 120 s would go
      ...Array.from({ length: 65_536 }, () => ['10.0.0.3', 41000, srv, 80, 0x10, 1, 150 * S] as const),
      [c, 40000, srv, 80, 0x02, 99, 151 * S], // the tuple again, 150 s after its close: not a reuse
    ] as [string, number, string, number, number, number, number?][]);
    assert.equal(facts.tuples, 2, 'the first tuple was remembered, not seen anew');
    assert.equal(facts.attempts, 2);
    assert.deepEqual(facts.reusedTuples, []);
  });

  it('a DNAT-ed copy of a SYN is paired with its original 50 SYNs later, 100,000 SYNs in (the SYN memory is fixed-size)', () => {
    const others = Array.from(
      { length: 100_000 },
      (_, i) =>
        [`10.1.${i >> 8}.${i & 255}`, 30000 + (i % 1000), '10.2.0.1', 443, SYN, i * 7919] as [
          string,
          number,
          string,
          number,
          number,
          number,
        ],
    );
    const [original, ...copy] = dnatCopy('10.0.0.5', '10.96.0.10', '10.244.1.7', 123456);
    // 100,000 SYNs before, the last 50 of them between the original and its copy
    const facts = track([...others.slice(0, -50), original!, ...others.slice(-50), ...copy]);
    assert.deepEqual(
      facts.replyNotTranslated.map((g) => [g.key, g.count, g.examples[0].client, g.examples[0].server]),
      [['10.96.0.10:80', 1, '10.0.0.5:40000', '10.244.1.7:8080']],
    );
    assert.equal(
      facts.unanswered.find((g) => g.key === '10.96.0.10:80'),
      undefined,
      'the original is not unanswered',
    );
  });

  it('IPv6: the copy is paired by address text, and a SYN with another ISN is not a copy', () => {
    const v6 = track(dnatCopy('fd00::5', 'fd00:96::10', 'fd00:244::7', 99));
    assert.deepEqual(
      v6.replyNotTranslated.map((g) => [g.key, g.count]),
      [['[fd00:96::10]:80', 1]],
    );
    const otherIsn = dnatCopy('10.0.0.5', '10.96.0.10', '10.244.1.7', 5);
    otherIsn[1]![5] = 6;
    const facts = track(otherIsn);
    assert.deepEqual(facts.replyNotTranslated, []);
    assert.deepEqual(
      facts.unanswered.map((g) => [g.key, g.count]),
      [['10.96.0.10:80', 1]],
    );
  });
});
