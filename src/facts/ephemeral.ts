import { ParseError } from '../parsers/parse-error.js';
import { parsePortList, parsePortRange } from '../parsers/port-range.js';
import { KERNEL_DEFAULT_PORT_RANGE, subtract, totalSize, type PortRange } from '../model/port-range.js';
import type { Sysctls } from '../parsers/sysctl.js';
import type { EphemeralPorts } from './types.js';

export const PORT_RANGE_KEY = 'net.ipv4.ip_local_port_range';
export const RESERVED_PORTS_KEY = 'net.ipv4.ip_local_reserved_ports';

/** The ports connect() may pick in a netns, from its sysctls (kernel default when they were not collected). */
export function ephemeralPorts(sysctls: Sysctls | undefined, source = 'sysctl.txt'): EphemeralPorts {
  const rangeEntry = sysctls?.get(PORT_RANGE_KEY);
  const range = rangeEntry
    ? parseAt(() => parsePortRange(rangeEntry.value, source), source, rangeEntry.line)
    : KERNEL_DEFAULT_PORT_RANGE;
  const reservedEntry = sysctls?.get(RESERVED_PORTS_KEY);
  const reserved = reservedEntry
    ? parseAt(() => parsePortList(reservedEntry.value, source), source, reservedEntry.line)
    : [];
  const usableRanges = subtract(range, reserved);
  return {
    range,
    reserved,
    usable: totalSize(usableRanges),
    bitmap: portBitmap(usableRanges),
    assumed: rangeEntry === undefined,
  };
}

function parseAt<T>(f: () => T, source: string, line: number): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError(source, line, e.reason);
    throw e;
  }
}

/** Bitmaps by their ranges: every namespace of a node usually has the same range, and the agent asks each tick. */
const bitmaps = new Map<string, Uint8Array>();
const MAX_BITMAPS = 16;

/** 1 for each port in the ranges. Shared between callers with equal ranges: read it, never write it. */
export function portBitmap(ranges: PortRange[]): Uint8Array {
  const key = ranges.map((r) => `${r.lo}-${r.hi}`).join(',');
  const known = bitmaps.get(key);
  if (known) return known;
  const bitmap = new Uint8Array(65536);
  for (const r of ranges) bitmap.fill(1, r.lo, r.hi + 1);
  if (bitmaps.size >= MAX_BITMAPS) bitmaps.clear();
  bitmaps.set(key, bitmap);
  return bitmap;
}
