/**
 * IPv4 destinations of a socket table by (local address, remote address, remote port), as the raw numbers
 * /proc/net/tcp prints: open addressing over a power-of-two array, linear probing, no deletion. A million
 * sockets meant a million lookups in a Map of Maps keyed by remote × 65536 + port, a double that V8 hashes
 * slowly; here a lookup is a few integer operations and no allocation.
 */

interface Ipv4Keyed {
  local: number;
  remote: number;
  port: number;
}

const MIN_CAPACITY = 256;

export class Ipv4DestinationIndex<D extends Ipv4Keyed> {
  private slots: (D | undefined)[] = new Array<D | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  /** in the order they were first added */
  readonly added: D[] = [];

  get(local: number, remote: number, port: number): D | undefined {
    for (let i = hash(local, remote, port) & this.mask; ; i = (i + 1) & this.mask) {
      const d = this.slots[i];
      if (d === undefined || (d.remote === remote && d.port === port && d.local === local)) return d;
    }
  }

  add(d: D): void {
    if ((this.added.length + 1) * 2 > this.slots.length) this.grow();
    this.place(d);
    this.added.push(d);
  }

  private place(d: D): void {
    let i = hash(d.local, d.remote, d.port) & this.mask;
    while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
    this.slots[i] = d;
  }

  private grow(): void {
    this.slots = new Array<D | undefined>(this.slots.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const d of this.added) this.place(d);
  }
}

function hash(local: number, remote: number, port: number): number {
  let h = Math.imul(remote ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(local, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}
