import { PORT_RANGE_KEY, RESERVED_PORTS_KEY } from '../../facts/ephemeral.js';
import type { NetnsFacts } from '../../facts/types.js';
import type { Counters } from '../../parsers/proc-net-counters.js';
import { counterDeltas } from '../../parsers/proc-net-counters.js';
import { formatRange } from '../../model/port-range.js';
import { derived, readLine, type Evidence } from '../../model/finding.js';

/** The sysctl line exactly as collected, or nothing. */
export function sysctlEvidence(netns: NetnsFacts, key: string): Evidence | undefined {
  const e = netns.sysctls?.get(key);
  return e ? readLine('sysctl', e.raw) : undefined;
}

/**
 * The line of a sysctl the rule declared in `reads`: the runner ran the rule only because it was read, so
 * the fallback never shows in practice; if it ever does, it says what is missing rather than crash.
 */
export function sysctlLine(netns: NetnsFacts, key: string): Evidence {
  return sysctlEvidence(netns, key) ?? derived('sysctl', `${key}: not read`);
}

/** The range and reserved ports the counts were made against; says so when the default was assumed. */
export function rangeEvidence(netns: NetnsFacts): Evidence[] {
  const eph = netns.ephemeral;
  if (eph.assumed) {
    return [derived('sysctl', `${PORT_RANGE_KEY} not collected: kernel default ${formatRange(eph.range)} assumed`)];
  }
  const out = [sysctlLine(netns, PORT_RANGE_KEY)];
  const reserved = sysctlEvidence(netns, RESERVED_PORTS_KEY);
  if (reserved && eph.reserved.length > 0) out.push(reserved);
  return out;
}

/**
 * When the port range was not read, counts were made against the kernel default: the finding says so in its
 * message and subject (`rangeAssumed`), not only in the evidence, because the conclusion depends on it.
 */
export function rangeAssumption(netns: NetnsFacts): { note: string; subject: { rangeAssumed?: true } } {
  if (!netns.ephemeral.assumed) return { note: '', subject: {} };
  return {
    note: ` (assumed: the port range was not read, so the kernel default ${formatRange(netns.ephemeral.range)} stands in; pass sysctl output to confirm)`,
    subject: { rangeAssumed: true },
  };
}

/** 28232 → "28,232" (toLocaleString would start ICU: 15 ms on every run). */
export function fmt(n: number): string {
  const [int = '', frac] = String(n).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

export function pct(part: number, whole: number): string {
  if (whole <= 0) return '100%';
  return `${Math.round((part / whole) * 100)}%`;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

export function endpoint(ip: string, port: number): string {
  return ip.includes(':') && !ip.startsWith('::ffff:') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Rise of each counter between the two samples, when there are two. Several rules ask it of the same
 * namespace: computed once per pair of samples (the samples are the facts' own maps, never changed).
 */
export function rises(first: Counters | undefined, later: Counters | undefined): Counters | undefined {
  if (!first || !later) return undefined;
  const kept = risesOf.get(first);
  if (kept?.later === later) return kept.deltas;
  const deltas = counterDeltas(first, later);
  risesOf.set(first, { later, deltas });
  return deltas;
}
const risesOf = new WeakMap<Counters, { later: Counters; deltas: Counters }>();

export function perSecond(delta: number, intervalMs: number): string {
  return intervalMs > 0 ? `${(delta / (intervalMs / 1000)).toFixed(1)}/s` : 'n/a';
}

/** Up to `max` items, then "… and N more" — evidence stays readable on a busy node. */
export function capped<T>(items: T[], max: number, render: (t: T) => Evidence, source: string): Evidence[] {
  const out = items.slice(0, max).map(render);
  if (items.length > max) out.push(derived(source, `… and ${fmt(items.length - max)} more`));
  return out;
}
