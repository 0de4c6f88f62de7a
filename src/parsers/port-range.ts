import { ParseError } from './parse-error.js';

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

function port(text: string, source: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new ParseError(source, 1, `not a port number: "${text}"`);
  const n = Number(text);
  if (n > 65535) throw new ParseError(source, 1, `port out of range: ${n}`);
  return n;
}

/** `ip_local_port_range` as the kernel prints it ("32768\t60999") or a user writes it ("30000-32767"). */
export function parsePortRange(text: string, source = 'port range'): PortRange {
  const parts = text.trim().split(/[\s-]+/);
  if (parts.length !== 2) throw new ParseError(source, 1, `expected two port numbers, got "${text.trim()}"`);
  const lo = port(parts[0], source);
  const hi = port(parts[1], source);
  if (hi < lo) throw new ParseError(source, 1, `range end ${hi} is below its start ${lo}`);
  return { lo, hi };
}

/** `ip_local_reserved_ports`: "" or "30000-32767,40000" → sorted, merged ranges. */
export function parsePortList(text: string, source = 'port list'): PortRange[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const ranges = trimmed.split(',').map((item) => {
    const [a, b, ...rest] = item.trim().split('-');
    if (rest.length > 0 || a === undefined) throw new ParseError(source, 1, `bad port list item "${item}"`);
    const lo = port(a, source);
    const hi = b === undefined ? lo : port(b, source);
    if (hi < lo) throw new ParseError(source, 1, `range end ${hi} is below its start ${lo}`);
    return { lo, hi };
  });
  ranges.sort((x, y) => x.lo - y.lo);
  const merged: PortRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else merged.push({ ...r });
  }
  return merged;
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
