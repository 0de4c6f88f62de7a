/** Port ranges and their arithmetic: what rules, facts, plan and report share. Parsing one is in parsers/port-range.ts. */
export interface PortRange {
  lo: number;
  hi: number;
}

export const KERNEL_DEFAULT_PORT_RANGE: PortRange = { lo: 32768, hi: 60999 };
export const DEFAULT_NODEPORT_RANGE: PortRange = { lo: 30000, hi: 32767 };

function rangeSize(r: PortRange): number {
  return r.hi - r.lo + 1;
}

export function formatRange(r: PortRange): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`;
}

export function intersect(a: PortRange, b: PortRange): PortRange | undefined {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : undefined;
}

/** Parts of `range` not covered by any of `holes` (holes sorted and merged). */
export function subtract(range: PortRange, holes: PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let next = range.lo;
  for (const h of holes) {
    if (h.hi < next) continue;
    if (h.lo > range.hi) break;
    if (h.lo > next) out.push({ lo: next, hi: Math.min(h.lo - 1, range.hi) });
    next = Math.max(next, h.hi + 1);
    if (next > range.hi) break;
  }
  if (next <= range.hi) out.push({ lo: next, hi: range.hi });
  return out;
}

export function totalSize(ranges: PortRange[]): number {
  return ranges.reduce((n, r) => n + rangeSize(r), 0);
}
