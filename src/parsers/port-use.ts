/**
 * Non-listening sockets per local port of one namespace. Counted in a dense array while a table is scanned;
 * kept sparse when few ports are used — the agent keeps a scan per pod between ticks, and 50 pods of dense
 * arrays are 12.8 MiB where their used ports are a few hundred kilobytes.
 */
const SPARSE_BELOW = 4096;

export class PortUse {
  private constructor(
    private readonly dense: Uint32Array | undefined,
    private readonly sparse: Map<number, number> | undefined,
  ) {}

  /** From a 65,536-slot count array (the scanner's). */
  static of(counts: Uint32Array): PortUse {
    let used = 0;
    for (let p = 0; p < counts.length && used < SPARSE_BELOW; p++) if (counts[p] !== 0) used++;
    if (used >= SPARSE_BELOW) return new PortUse(counts, undefined);
    const sparse = new Map<number, number>();
    for (let p = 0; p < counts.length; p++) {
      const n = counts[p] ?? 0;
      if (n !== 0) sparse.set(p, n);
    }
    return new PortUse(undefined, sparse);
  }

  count(port: number): number {
    return (this.sparse ? this.sparse.get(port) : this.dense?.[port]) ?? 0;
  }

  /** Every used port with its count, in port order. */
  *used(): IterableIterator<[port: number, count: number]> {
    if (this.sparse) {
      yield* [...this.sparse].sort((a, b) => a[0] - b[0]);
      return;
    }
    const d = this.dense ?? new Uint32Array(0);
    for (let p = 0; p < d.length; p++) {
      const n = d[p] ?? 0;
      if (n !== 0) yield [p, n];
    }
  }
}
