/**
 * IPv4 connections that were established, closed and judged: all the tracker still needs of one is its tuple,
 * its ISN, which ends sent a FIN, and when it closed and was last seen (for a SYN that reuses the tuple).
 * They are most of a capture's flows, and as objects they were most of its heap (about 230 bytes each, all
 * copied by every young-generation collection while new): here a record is 53 bytes in typed arrays the
 * collector never walks. A packet on a closed connection takes its record out as a flow again (`take`), and
 * the tracker stores it back once the packet is handled.
 *
 * Open addressing over slots that hold record numbers; records are dense (a deleted one is replaced by the
 * last), so memory follows the number of closed connections, not the table's history.
 */
import { endHash, type TupleKeyed } from './flow-table.js';

/** A closed connection as the tracker hands it over and gets it back (the tracker's flows are ClosedFlows) */
export interface ClosedFlow extends TupleKeyed {
  /** the SYN's sequence number as int32 (`seq | 0`), like the addresses */
  isn: number;
  clientFin: boolean;
  serverFin: boolean;
  /** frame (−1: open) and time of the packet that closed the flow */
  closedNumber: number;
  closedUs: number;
  lastNumber: number;
  lastUs: number;
}

const EMPTY = -1;
const MIN_SLOTS = 1024;
const MIN_RECORDS = 512;
const CLIENT_FIN = 1;
const SERVER_FIN = 2;

/**
 * A frame number read back from the Float64Array as a small integer: V8 hands out a typed array's doubles as
 * heap numbers, and one stored into a flow's integer field turns that field into a double in every flow (the
 * flows change shape mid-capture and the optimised packet path is thrown away). Past 2^31 frames, a double.
 */
const frameNumber = (n: number): number => (n < 0x80000000 ? n | 0 : n);

export class ClosedFlows {
  private slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
  private mask = MIN_SLOTS - 1;
  private cIp = new Int32Array(MIN_RECORDS);
  private sIp = new Int32Array(MIN_RECORDS);
  private cPort = new Uint16Array(MIN_RECORDS);
  private sPort = new Uint16Array(MIN_RECORDS);
  private isn = new Int32Array(MIN_RECORDS);
  private fins = new Uint8Array(MIN_RECORDS);
  /** closedNumber, closedUs, lastNumber, lastUs of record r at 4r … 4r+3 */
  private times = new Float64Array(MIN_RECORDS * 4);
  size = 0;

  /** The record (a number) of the connection between these endpoints, either way round; -1 when none. */
  find(srcIp: number, srcPort: number, dstIp: number, dstPort: number): number {
    for (let i = this.home(srcIp, srcPort, dstIp, dstPort); ; i = (i + 1) & this.mask) {
      const r = this.slots[i] ?? EMPTY;
      if (r === EMPTY) return -1;
      const c =
        this.cIp[r] === srcIp && this.cPort[r] === srcPort && this.sIp[r] === dstIp && this.sPort[r] === dstPort;
      if (
        c ||
        (this.cIp[r] === dstIp && this.cPort[r] === dstPort && this.sIp[r] === srcIp && this.sPort[r] === srcPort)
      )
        return r;
    }
  }

  /** Removes record r and fills `into` with it. */
  take(r: number, into: ClosedFlow): void {
    into.cIp = this.cIp[r] ?? 0;
    into.cPort = this.cPort[r] ?? 0;
    into.sIp = this.sIp[r] ?? 0;
    into.sPort = this.sPort[r] ?? 0;
    into.isn = this.isn[r] ?? 0;
    into.clientFin = ((this.fins[r] ?? 0) & CLIENT_FIN) !== 0;
    into.serverFin = ((this.fins[r] ?? 0) & SERVER_FIN) !== 0;
    into.closedNumber = frameNumber(this.times[4 * r] ?? 0);
    into.closedUs = this.times[4 * r + 1] ?? 0;
    into.lastNumber = frameNumber(this.times[4 * r + 2] ?? 0);
    into.lastUs = this.times[4 * r + 3] ?? 0;
    this.delete(r);
  }

  /** A packet that changes nothing but when record r was last seen (an ACK after the FINs): frame and time. */
  touch(r: number, number: number, timeUs: number): void {
    this.times[4 * r + 2] = number;
    this.times[4 * r + 3] = timeUs;
  }

  /** Stores a closed connection whose tuple is not in the table. */
  store(f: ClosedFlow): void {
    if ((this.size + 1) * 2 > this.slots.length) this.resizeSlots(this.slots.length * 2);
    if (this.size === this.cIp.length) this.resizeRecords(this.size * 2);
    const r = this.size++;
    this.cIp[r] = f.cIp;
    this.cPort[r] = f.cPort;
    this.sIp[r] = f.sIp;
    this.sPort[r] = f.sPort;
    this.isn[r] = f.isn;
    this.fins[r] = (f.clientFin ? CLIENT_FIN : 0) | (f.serverFin ? SERVER_FIN : 0);
    this.times[4 * r] = f.closedNumber;
    this.times[4 * r + 1] = f.closedUs;
    this.times[4 * r + 2] = f.lastNumber;
    this.times[4 * r + 3] = f.lastUs;
    this.place(r);
  }

  /** Forgets the connections last seen before `beforeUs`. */
  forgetIdle(beforeUs: number): void {
    for (let r = 0; r < this.size;) {
      if ((this.times[4 * r + 3] ?? 0) < beforeUs) this.delete(r);
      else r++; // delete moved the last record into r: look at r again
    }
  }

  clear(): void {
    this.slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
    this.mask = MIN_SLOTS - 1;
    this.size = 0;
  }

  private home(ip1: number, port1: number, ip2: number, port2: number): number {
    return (endHash(ip1, port1) + endHash(ip2, port2)) & this.mask;
  }

  private homeOf(r: number): number {
    return this.home(this.cIp[r] ?? 0, this.cPort[r] ?? 0, this.sIp[r] ?? 0, this.sPort[r] ?? 0);
  }

  private slotOf(r: number): number {
    let i = this.homeOf(r);
    while (this.slots[i] !== r) i = (i + 1) & this.mask;
    return i;
  }

  private place(r: number): void {
    let i = this.homeOf(r);
    while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
    this.slots[i] = r;
  }

  /** Deletes record r: its slot by backward shift, then the last record moves into r. */
  private delete(r: number): void {
    let hole = this.slotOf(r);
    for (let j = (hole + 1) & this.mask; ; j = (j + 1) & this.mask) {
      const other = this.slots[j] ?? EMPTY;
      if (other === EMPTY) break;
      const home = this.homeOf(other);
      // `other` may fill the hole if its home is not cyclically within (hole, j]
      if (((j - home) & this.mask) >= ((j - hole) & this.mask)) {
        this.slots[hole] = other;
        hole = j;
      }
    }
    this.slots[hole] = EMPTY;
    const last = --this.size;
    if (r === last) return;
    this.slots[this.slotOf(last)] = r;
    this.cIp[r] = this.cIp[last] ?? 0;
    this.cPort[r] = this.cPort[last] ?? 0;
    this.sIp[r] = this.sIp[last] ?? 0;
    this.sPort[r] = this.sPort[last] ?? 0;
    this.isn[r] = this.isn[last] ?? 0;
    this.fins[r] = this.fins[last] ?? 0;
    this.times.copyWithin(4 * r, 4 * last, 4 * last + 4);
  }

  private resizeSlots(capacity: number): void {
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    for (let r = 0; r < this.size; r++) this.place(r);
  }

  private resizeRecords(capacity: number): void {
    const grow = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.cIp = grow(this.cIp, new Int32Array(capacity));
    this.sIp = grow(this.sIp, new Int32Array(capacity));
    this.cPort = grow(this.cPort, new Uint16Array(capacity));
    this.sPort = grow(this.sPort, new Uint16Array(capacity));
    this.isn = grow(this.isn, new Int32Array(capacity));
    this.fins = grow(this.fins, new Uint8Array(capacity));
    this.times = grow(this.times, new Float64Array(capacity * 4));
  }
}
