import { forEachLine, type UnreadLine } from './parse-error.js';

/**
 * The kernel's log (dmesg, journalctl -k, /var/log/kern.log) as far as these rules care: conntrack's
 * "nf_conntrack: table full, dropping packet" (printed at most every few seconds by the kernel's rate limit,
 * so each line stands for many dropped packets).
 */
export interface KernelLog {
  source: string;
  lines: number;
  conntrackFull: { count: number; first?: UnreadLine; last?: UnreadLine };
}

const TABLE_FULL = /nf_conntrack: (?:nf_conntrack: )?table full, dropping packet/;

export function parseKernelLog(text: string, source = 'logs/kernel.log'): KernelLog {
  const log: KernelLog = { source, lines: 0, conntrackFull: { count: 0 } };
  log.lines = forEachLine(text, (line, n) => {
    if (!TABLE_FULL.test(line)) return;
    const kept = { line: n, reason: line.slice(0, 512) };
    log.conntrackFull.count++;
    log.conntrackFull.first ??= kept;
    log.conntrackFull.last = kept;
  });
  return log;
}
