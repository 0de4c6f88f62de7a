/**
 * pcap and pcapng, streaming: feed chunks with push(), packets come out through the callback as one reused
 * record pointing into the chunk (valid only during the call; no allocation per packet). Memory is one carry-over buffer for a record split across
 * chunks, never the file. Formats: pcap (tcpdump.org "PCAP Capture File Format"), micro- and nanosecond,
 * both byte orders; pcapng (IETF draft-ietf-opsawg-pcapng) SHB, IDB with if_tsresol, EPB, SPB, PB; several
 * sections and interfaces.
 */
import { ParseError } from './parse-error.js';
import { be16, be32, le16, le32 } from './bytes.js';

export interface CapturedPacket {
  /** 1-based, as Wireshark numbers them */
  number: number;
  /** capture time in microseconds since the epoch (a float keeps nanoseconds) */
  timeUs: number;
  linkType: number;
  interfaceId: number;
  /** the captured bytes are bytes[start, end) (may be shorter than the packet on the wire) */
  bytes: Buffer;
  start: number;
  end: number;
}

/** A packet's bytes as their own view (for tests and tools; the readers decode in place). */
export const packetData = (p: CapturedPacket): Buffer => p.bytes.subarray(p.start, p.end);

type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
/**
 * A record longer than this is a corrupt length field, not a packet (libpcap's largest snaplen is 256 KiB);
 * it also bounds the carry-over buffer a corrupt file could make the reader grow.
 */
const MAX_RECORD = 16 * 1024 * 1024;

interface NgInterface {
  linkType: number;
  /** units per second of this interface's timestamps */
  unitsPerSecond: number;
}

export class CaptureReader {
  format?: CaptureFormat;
  readonly interfaces: NgInterface[] = [];
  private le = true;
  private pcapLinkType = 0;
  private pcapUnitsPerSecond = 1e6;
  private carry: Buffer = Buffer.alloc(0);
  private leftover = 0;
  private started = false;
  private offset = 0;
  private packets = 0;
  private readonly current: CapturedPacket = {
    number: 0,
    timeUs: NaN, // a double from the start: the field then never changes representation (see newFlow)
    linkType: 0,
    interfaceId: 0,
    bytes: Buffer.alloc(0),
    start: 0,
    end: 0,
  };

  constructor(
    private readonly source: string,
    private readonly onPacket: (p: CapturedPacket) => void,
  ) {}

  get packetCount(): number {
    return this.packets;
  }

  push(chunk: Buffer): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const used = this.consume(buf, buf.length);
    this.carry = used < buf.length ? Buffer.from(buf.subarray(used)) : Buffer.alloc(0);
  }

  /**
   * Reads the whole records in buf[0, length) and returns how many bytes they took; the caller keeps the rest
   * and puts it first in the next call (a file reader moves it to the front of its one buffer: no copy of
   * every chunk). Use either this or push(), not both.
   */
  consume(buf: Buffer, length: number): number {
    let pos = 0;
    if (!this.started) {
      if (length < 24) return 0;
      pos = this.readFileHeader(buf);
      this.started = true;
    }
    pos = this.format === 'pcapng' ? this.readNgBlocks(buf, pos, length) : this.readPcapRecords(buf, pos, length);
    this.offset += pos;
    return pos;
  }

  /** After consume(): the bytes left at the end (a record cut short). */
  setLeftover(bytes: number): void {
    this.leftover = bytes;
  }

  /** Call at the end: a record cut short is a truncated capture (tcpdump killed mid-write). */
  end(): { truncatedBytes: number } {
    if (!this.started)
      throw new ParseError(
        this.source,
        1,
        this.carry.length + this.leftover === 0 ? 'empty file: not a capture' : 'too short to be a pcap or pcapng file',
      );
    return { truncatedBytes: this.carry.length + this.leftover };
  }

  private fail(reason: string): never {
    throw new ParseError(this.source, this.packets + 1, `${reason} (at byte ${this.offset})`);
  }

  private readFileHeader(buf: Buffer): number {
    const be = buf.readUInt32BE(0);
    const le = buf.readUInt32LE(0);
    if (be === PCAPNG_SHB) {
      this.format = 'pcapng';
      return 0;
    }
    for (const [magic, ns] of [
      [PCAP_MAGIC_US, false],
      [PCAP_MAGIC_NS, true],
    ] as const) {
      if (le === magic || be === magic) {
        this.le = le === magic;
        this.format = ns ? 'pcap-ns' : 'pcap';
        this.pcapUnitsPerSecond = ns ? 1e9 : 1e6;
        this.pcapLinkType = (this.le ? buf.readUInt32LE(20) : buf.readUInt32BE(20)) & 0x0fffffff;
        this.interfaces.push({ linkType: this.pcapLinkType, unitsPerSecond: this.pcapUnitsPerSecond });
        return 24;
      }
    }
    throw new ParseError(
      this.source,
      1,
      `not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, '0')}); save captures with tcpdump -w or Wireshark`,
    );
  }

  private u32(buf: Buffer, at: number): number {
    return this.le ? le32(buf, at) : be32(buf, at);
  }

  private u16(buf: Buffer, at: number): number {
    return this.le ? le16(buf, at) : be16(buf, at);
  }

  private readPcapRecords(buf: Buffer, pos: number, length: number): number {
    const scale = 1e6 / this.pcapUnitsPerSecond;
    while (pos + 16 <= length) {
      const incl = this.u32(buf, pos + 8);
      if (incl > MAX_RECORD) this.fail(`record length ${incl} is not plausible`);
      if (pos + 16 + incl > length) break;
      this.current.timeUs = this.u32(buf, pos) * 1e6 + this.u32(buf, pos + 4) * scale;
      this.emit(this.pcapLinkType, 0, buf, pos + 16, pos + 16 + incl);
      pos += 16 + incl;
    }
    return pos;
  }

  private readNgBlocks(buf: Buffer, pos: number, length: number): number {
    while (pos + 12 <= length) {
      let type = this.u32(buf, pos);
      if (type === PCAPNG_SHB || buf.readUInt32BE(pos) === PCAPNG_SHB) {
        // a section header sets the byte order of everything up to the next one
        const bom = buf.readUInt32LE(pos + 8);
        if (bom === PCAPNG_BOM) this.le = true;
        else if (buf.readUInt32BE(pos + 8) === PCAPNG_BOM) this.le = false;
        else this.fail('pcapng section header without a valid byte-order magic');
        type = PCAPNG_SHB;
        this.interfaces.length = 0;
      }
      const blockLength = this.u32(buf, pos + 4);
      if (blockLength < 12 || blockLength % 4 !== 0 || blockLength > MAX_RECORD)
        this.fail(`pcapng block length ${blockLength} is not valid`);
      if (pos + blockLength > length) break;
      const body = pos + 8;
      const bodyEnd = pos + blockLength - 4;
      if (type === 1) this.readIdb(buf, body, bodyEnd);
      else if (type === 6 && body + 20 <= bodyEnd) {
        const ifId = this.u32(buf, body);
        const iface =
          this.interfaces[ifId] ?? this.fail(`packet on interface ${ifId}, which no interface block describes`);
        const ts = this.u32(buf, body + 4) * 4294967296 + this.u32(buf, body + 8);
        const captured = this.u32(buf, body + 12);
        if (body + 20 + captured > bodyEnd) this.fail('enhanced packet block shorter than its captured length');
        this.current.timeUs = (ts / iface.unitsPerSecond) * 1e6;
        this.emit(iface.linkType, ifId, buf, body + 20, body + 20 + captured);
      } else if (type === 3 && body + 4 <= bodyEnd) {
        const iface = this.interfaces[0] ?? this.fail('simple packet block before any interface block');
        const original = this.u32(buf, body);
        this.current.timeUs = NaN;
        this.emit(iface.linkType, 0, buf, body + 4, Math.min(bodyEnd, body + 4 + original));
      } else if (type === 2 && body + 20 <= bodyEnd) {
        const ifId = this.u16(buf, body);
        const iface =
          this.interfaces[ifId] ?? this.fail(`packet on interface ${ifId}, which no interface block describes`);
        const ts = this.u32(buf, body + 4) * 4294967296 + this.u32(buf, body + 8);
        const captured = this.u32(buf, body + 12);
        this.current.timeUs = (ts / iface.unitsPerSecond) * 1e6;
        this.emit(iface.linkType, ifId, buf, body + 20, Math.min(bodyEnd, body + 20 + captured));
      }
      pos += blockLength;
    }
    return pos;
  }

  private readIdb(buf: Buffer, body: number, end: number): void {
    const linkType = this.u16(buf, body);
    let unitsPerSecond = 1e6;
    let opt = body + 8;
    while (opt + 4 <= end) {
      const code = this.u16(buf, opt);
      const len = this.u16(buf, opt + 2);
      if (code === 0) break;
      if (code === 9 && len >= 1 && opt + 4 < end) {
        const v = buf[opt + 4] ?? 0; // opt + 4 < end, checked
        unitsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** (v & 0x7f);
      }
      opt += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push({ linkType, unitsPerSecond });
  }

  /**
   * Hands the packet on. Its time is already in `this.current`: a double passed as an argument to a function
   * that is not inlined is boxed in a new heap number, one per packet.
   */
  private emit(linkType: number, interfaceId: number, bytes: Buffer, start: number, end: number): void {
    const p = this.current;
    p.number = ++this.packets;
    p.linkType = linkType;
    p.interfaceId = interfaceId;
    p.bytes = bytes;
    p.start = start;
    p.end = end;
    this.onPacket(p);
  }
}
