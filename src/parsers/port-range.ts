import { ParseError } from './parse-error.js';
import type { PortRange } from '../model/port-range.js';

function port(text: string, source: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new ParseError(source, 1, `not a port number: "${text}"`);
  const n = Number(text);
  if (n > 65535) throw new ParseError(source, 1, `port out of range: ${n}`);
  return n;
}

/** `ip_local_port_range` as the kernel prints it ("32768\t60999") or a user writes it ("30000-32767"). */
export function parsePortRange(text: string, source = 'port range'): PortRange {
  const [first, second, ...more] = text.trim().split(/[\s-]+/);
  if (first === undefined || second === undefined || more.length > 0)
    throw new ParseError(source, 1, `expected two port numbers, got "${text.trim()}"`);
  const lo = port(first, source);
  const hi = port(second, source);
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
