/**
 * TCP flows by 4-tuple, found from either direction without building a key: open addressing over a
 * power-of-two array, linear probing, backward-shift deletion. A capture's tracker looks up every packet;
 * a Map keyed by "a:p>b:q" strings made two strings and two hash computations per packet.
 */

/** What the table needs of a flow: its two endpoints as numbers (see DecodedPacket.srcNum) and, for IPv6, text. */
export interface TupleKeyed {
  cIp: number;
  cPort: number;
  sIp: number;
  sPort: number;
  /** IPv6 only: equal numbers are a hash match, the text decides */
  cText?: string;
  sText?: string;
}

/** One endpoint's share of the hash; the flow's hash is the sum of both ends', the same in either direction. */
export function endHash(ip: number, port: number): number {
  let h = Math.imul(ip ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const MIN_CAPACITY = 1024;

export class FlowTable<F extends TupleKeyed> {
  private slots: (F | undefined)[] = new Array<F | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  size = 0;

  /** The flow between these endpoints, whichever of them is the client. srcText/dstText only for IPv6. */
  get(
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    srcText?: string,
    dstText?: string,
  ): F | undefined {
    let i = (endHash(srcIp, srcPort) + endHash(dstIp, dstPort)) & this.mask;
    for (let f = this.slots[i]; f !== undefined; f = this.slots[(i = (i + 1) & this.mask)]) {
      if (
        f.cIp === srcIp &&
        f.cPort === srcPort &&
        f.sIp === dstIp &&
        f.sPort === dstPort &&
        f.cText === srcText &&
        f.sText === dstText
      )
        return f;
      if (
        f.cIp === dstIp &&
        f.cPort === dstPort &&
        f.sIp === srcIp &&
        f.sPort === srcPort &&
        f.cText === dstText &&
        f.sText === srcText
      )
        return f;
    }
    return undefined;
  }

  /** Adds a flow whose tuple is not in the table (get() said so). */
  add(flow: F): void {
    if ((this.size + 1) * 2 > this.slots.length) this.resize(this.slots.length * 2);
    this.place(flow);
    this.size++;
  }

  delete(flow: F): void {
    let i = this.home(flow);
    while (this.slots[i] !== flow) {
      if (this.slots[i] === undefined) return;
      i = (i + 1) & this.mask;
    }
    // backward shift: move later members of the run into the hole when their home allows it
    let hole = i;
    for (let j = (i + 1) & this.mask; ; j = (j + 1) & this.mask) {
      const f = this.slots[j];
      if (f === undefined) break;
      const home = this.home(f);
      // f may fill the hole if its home is not cyclically within (hole, j]
      if (((j - home) & this.mask) >= ((j - hole) & this.mask)) {
        this.slots[hole] = f;
        hole = j;
      }
    }
    this.slots[hole] = undefined;
    this.size--;
  }

  /**
   * Deletes every flow `doomed` picks, telling `gone` first; walks the slots in place (no list): after a
   * deletion the slot is looked at again, since the backward shift may have moved a later flow into it.
   */
  deleteWhere(doomed: (f: F) => boolean, gone: (f: F) => void): void {
    for (let i = 0; i < this.slots.length;) {
      const f = this.slots[i];
      if (f !== undefined && doomed(f)) {
        gone(f);
        this.delete(f);
      } else i++;
    }
  }

  /** Every flow, as a list (safe to delete from the table while walking it). */
  list(): F[] {
    const out: F[] = [];
    for (const f of this.slots) if (f !== undefined) out.push(f);
    return out;
  }

  clear(): void {
    this.slots = new Array<F | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
    this.size = 0;
  }

  private home(f: F): number {
    return (endHash(f.cIp, f.cPort) + endHash(f.sIp, f.sPort)) & this.mask;
  }

  private place(f: F): void {
    let i = this.home(f);
    while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
    this.slots[i] = f;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = new Array<F | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (const f of old) if (f !== undefined) this.place(f);
  }
}
