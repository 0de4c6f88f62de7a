/**
 * The flows whose SYN came most recently, found by the SYN's client address, port and sequence number: a
 * DNAT-ed copy of a SYN (the same client endpoint and ISN toward another address) follows its original within
 * microseconds, and the tracker pairs them here.
 *
 * Fixed size and allocation-free: 4-way buckets over one array, the oldest of a bucket's four replaced.
 * A SYN is forgotten only once four later SYNs hash to its bucket, which for a copy that follows within a few
 * packets is as good as never. An earlier version held every SYN of the last second in a string-keyed Map
 * with its attempt; on a busy capture that kept tens of thousands of attempts alive just long enough to be
 * promoted and then freed by the old-space collector: a quarter of the tracker's time, 50 MB of its peak.
 *
 * Entries hold the flow, not a copy of its key: the flow's own client port and ISN say whether the entry
 * still describes it (a flow that began a new attempt since has another ISN, and no longer matches).
 */
import type { TupleKeyed } from './flow-table.js';

interface SynFlow extends TupleKeyed {
  /** ISN of the flow's current attempt (int32) */
  isn: number;
}

const WAYS = 4;

export class RecentSyns<F extends SynFlow> {
  private readonly flows: (F | undefined)[];
  /**
   * each entry's ISN beside it: a lookup compares four numbers in one cache line and reads a flow (scattered
   * over the heap, a cache miss each) only on a match
   */
  private readonly isns: Int32Array;
  /** per bucket, the next way to replace (FIFO) */
  private readonly next: Uint8Array;
  private readonly mask: number;

  /** `capacity` SYNs remembered, rounded to a power of two */
  constructor(capacity: number) {
    let buckets = 1;
    while (buckets * WAYS < capacity) buckets *= 2;
    this.flows = new Array<F | undefined>(buckets * WAYS).fill(undefined);
    this.isns = new Int32Array(buckets * WAYS);
    this.next = new Uint8Array(buckets);
    this.mask = buckets - 1;
  }

  /** The remembered flow whose SYN had this client endpoint (IPv6: its text, else undefined) and ISN, if any. */
  find(cIp: number, cPort: number, isn: number, cText: string | undefined): F | undefined {
    const at = this.bucket(cIp, cPort, isn) * WAYS;
    for (let w = 0; w < WAYS; w++) {
      if (this.isns[at + w] !== isn) continue;
      const f = this.flows[at + w];
      if (f !== undefined && f.isn === isn && f.cIp === cIp && f.cPort === cPort && f.cText === cText) return f;
    }
    return undefined;
  }

  /** Remembers the flow's SYN (its current client endpoint and ISN), forgetting the oldest of its bucket. */
  remember(flow: F): void {
    const b = this.bucket(flow.cIp, flow.cPort, flow.isn);
    const way = this.next[b] ?? 0;
    this.flows[b * WAYS + way] = flow;
    this.isns[b * WAYS + way] = flow.isn;
    this.next[b] = (way + 1) % WAYS;
  }

  /** Forgets the flow if it is remembered (it closed, or went into ClosedFlows): the entry held it alive. */
  forget(flow: F): void {
    const at = this.bucket(flow.cIp, flow.cPort, flow.isn) * WAYS;
    for (let w = 0; w < WAYS; w++) if (this.flows[at + w] === flow) this.flows[at + w] = undefined;
  }

  private bucket(ip: number, port: number, isn: number): number {
    let h = Math.imul(ip ^ Math.imul(port, 0x9e3779b1) ^ Math.imul(isn, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    return h & this.mask;
  }
}
