import { ParseError, forEachLine } from './parse-error.js';
import { group, type NonEmpty } from '../model/indexing.js';

/**
 * kube-proxy's log as the node keeps it, in any of the shapes users send:
 *   CRI (/var/log/pods):  2026-11-21T00:53:42.123456789Z stderr F E1121 00:53:42.123456       1 proxier.go:1523] …
 *   docker json-file:     {"log":"E1121 00:53:42.123456 …\n","stream":"stderr","time":"2026-11-21T00:53:42.1Z"}
 *   journald:             Nov 21 00:53:42 node-1 kube-proxy[812]: E1121 00:53:42.123456 …
 *   plain klog, pasted:   E1121 00:53:42.123456       1 proxier.go:1523] …
 * A message may span lines (old kube-proxy printed iptables-restore's stderr verbatim; structured logging
 * prints `err=<` … `>`): a line that does not start a klog entry continues the one before it.
 */
export interface LogLine {
  line: number;
  text: string;
}

export interface RestoreFailure {
  /** iptables-restore or ip6tables-restore */
  command: string;
  /** "legacy" / "nf_tables", from the version banner iptables-restore put in its error */
  backend?: string;
  /** the chain or target iptables-restore could not find */
  chain?: string;
  /** the line of the restore input that failed */
  inputLine?: number;
  exitStatus?: number;
  time?: string;
  /** the physical log lines of this entry */
  lines: LogLine[];
  /** the entry came within a few entries of start-up cleanup ("Tearing down inactive rules", a mode switch) */
  duringCleanup?: boolean;
  /** what the kernel refused, when the error says (see KernelRefusal) */
  refusal?: KernelRefusal;
}

/**
 * The node's kernel refusing what kube-proxy's iptables asked for: a table it has no module for ("can't
 * initialize iptables table `nat': Table does not exist"), an option or extension the kernel's nf_tables
 * cannot express ('unknown option "--xor-mark"', "Extension MARK revision 0 not supported"), or nf_tables
 * operations a 3.10 kernel fails ("CHAIN_USER_DEL failed (Device or resource busy)").
 */
export interface KernelRefusal {
  kind: 'table-missing' | 'unknown-option' | 'extension-unsupported' | 'nft-operation-failed' | 'match-missing';
  /** the table, option, extension or operation named */
  what: string;
  backend?: string;
  time?: string;
  lines: LogLine[];
}

export interface KubeProxyLog {
  source: string;
  lines: number;
  /** restore failures in the window read, by command; `failures` keeps the last 200 of them */
  failureCounts: Record<string, number>;
  firstTime?: string;
  lastTime?: string;
  failures: RestoreFailure[];
  /** "v1.13.10", from kube-proxy's version banner */
  version?: { value: string; line: LogLine };
  /** "iptables" / "ipvs" / "nftables", from "Using iptables Proxier" and its successors */
  mode?: { value: string; line: LogLine };
  /** kernel refusals outside restore failures (iptables -N/-C calls), with counts by kind; the last 50 kept */
  refusals: KernelRefusal[];
  refusalCount: number;
}

const KLOG = /^([IWEF])(\d{4}) (\d\d:\d\d:\d\d(?:\.\d+)?)\s+\d+ [^\]\s]+\] /;
const CRI = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)) (?:stdout|stderr) ([FP]) ?(.*)$/;
/** `kubectl logs --timestamps`: an RFC 3339 time, a space, the line (no stream, no CRI tag). */
const KUBECTL_TS = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)) (.*)$/;
const JOURNAL =
  /^(?:([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)|(\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d{4}|Z)?)) \S+ [^\s:]+(?:\[\d+\])?: (.*)$/;
const RESTORE_FAILED =
  /(?:Failed to execute|failed to execute|Failed to run|error running|Failed to restore)[^(\n]*?\b(ip6?tables)(?:-nft|-legacy)?-restore\b|\b(ip6?tables)(?:-nft|-legacy)?-restore(?::| v[\d.]+)[^\n]*?(?:line \d+ failed|Couldn't load|does not exist|Error occurred)/;
const VERSION = /(?:Version: |"Version info" version="|gitVersion:")(v\d+\.\d+\.\d+[^"\s,]*)/;
const MODE =
  /Using (iptables|ipvs|nftables|userspace|kernelspace) [Pp]rox(?:ier|y)|"Using (iptables|ipvs|nftables) [Pp]rox/;
const MAX_KEPT = 200;
/** Start-up cleanup of other proxy modes' rules: a failure right after it is the cleanup's, not a sync's. */
const CLEANUP =
  /Tearing down inactive rules|[Cc]leaning up|CleanupLeftovers|Removing iptables rules|Error removing (?:iptables|userspace|ipvs) rules|Deleting (?:ipvs|iptables|userspace) rules/;
const CLEANUP_WINDOW = 10;

/** What the kernel refused, from an iptables error text; undefined when the error is of another kind. */
function kernelRefusalOf(message: string): Omit<KernelRefusal, 'lines' | 'time'> | undefined {
  const backend = /ip6?tables(?:-nft|-legacy)?(?:-restore|-save)? v[\d.]+ \((legacy|nf_tables)\)/.exec(message)?.[1];
  const table = /can't initialize ip6?tables table [`'"]?(\w+)['`"]?: Table does not exist/.exec(message);
  if (table) return { kind: 'table-missing', what: group(table, 1), backend };
  const option = /unknown option "?--([\w-]+)"?/.exec(message);
  if (option) return { kind: 'unknown-option', what: `--${option[1]}`, backend };
  const extension = /Extension (\w+) revision \d+ not supported/.exec(message);
  if (extension) return { kind: 'extension-unsupported', what: group(extension, 1), backend };
  const nftOp = /\b(CHAIN_USER_DEL|CHAIN_USER_ADD|RULE_APPEND|RULE_INSERT|TABLE_FLUSH) failed/.exec(message);
  if (nftOp) return { kind: 'nft-operation-failed', what: group(nftOp, 1), backend };
  const match = /Couldn't load match [`'](\w+)'/.exec(message);
  if (match) return { kind: 'match-missing', what: group(match, 1), backend };
  return undefined;
}

interface Entry {
  time?: string;
  lines: NonEmpty<LogLine>;
  message: string;
}

export function parseKubeProxyLog(text: string, source = 'logs/kube-proxy.log'): KubeProxyLog {
  const log: KubeProxyLog = { source, lines: 0, failureCounts: {}, failures: [], refusals: [], refusalCount: 0 };
  const state = { entries: 0, lastCleanup: -Infinity };
  let entry: Entry | undefined;
  // CRI splits a long line into "P" (partial) pieces ending with an "F" piece: glue them back together.
  let continuesPartial = false;
  const flush = () => {
    if (entry) judge(entry, log, state);
    entry = undefined;
  };
  log.lines = forEachLine(text, (raw, n) => {
    if (raw.trim() === '') return;
    const { time, message, partial } = unwrap(raw, n, source);
    const physical = { line: n, text: raw };
    if (time) {
      log.firstTime ??= time;
      log.lastTime = time;
    }
    if (entry && continuesPartial) {
      entry.lines.push(physical);
      entry.message += message;
    } else if (KLOG.test(message) || !entry) {
      flush();
      const m = KLOG.exec(message);
      entry = { time: time ?? (m ? `${m[2]} ${m[3]}` : undefined), lines: [physical], message };
    } else {
      entry.lines.push(physical);
      if (entry.message.length < 16_384) entry.message += '\n' + message;
    }
    continuesPartial = partial;
  });
  flush();
  return log;
}

/** The message inside whatever frame the log store put around it. */
function unwrap(raw: string, n: number, source: string): { time?: string; message: string; partial: boolean } {
  if (raw.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      throw new ParseError(
        source,
        n,
        'a line starting with "{" that is not JSON (docker json-file logs hold one object per line)',
      );
    }
    const o = obj as { log?: unknown; time?: unknown };
    if (typeof o.log !== 'string') throw new ParseError(source, n, 'a JSON line without a "log" string');
    return {
      time: typeof o.time === 'string' ? o.time : undefined,
      message: o.log.replace(/\n$/, ''),
      partial: !o.log.endsWith('\n'),
    };
  }
  const cri = CRI.exec(raw);
  if (cri) return { time: cri[1], message: group(cri, 3), partial: cri[2] === 'P' };
  const journal = JOURNAL.exec(raw);
  if (journal) return { time: journal[1] ?? journal[2], message: group(journal, 3), partial: false };
  const stamped = KUBECTL_TS.exec(raw);
  if (stamped) return { time: stamped[1], message: group(stamped, 2), partial: false };
  return { message: raw, partial: false };
}

function judge(entry: Entry, log: KubeProxyLog, state: { entries: number; lastCleanup: number }): void {
  const m = entry.message;
  const index = state.entries++;
  const failed = RESTORE_FAILED.exec(m);
  const refusal = kernelRefusalOf(m);
  if (CLEANUP.test(m)) state.lastCleanup = index;
  if (refusal && !failed) {
    log.refusalCount++;
    if (log.refusals.length >= 50) log.refusals.shift();
    log.refusals.push({ ...refusal, time: entry.time, lines: entry.lines });
  }
  if (failed) {
    // Newer kube-proxy says "iptables-restore" for both families; the error text or ipFamily tells IPv6 apart.
    const command =
      failed[1] === 'ip6tables' ||
      failed[2] === 'ip6tables' ||
      /\bip6tables(?:-nft|-legacy)?-restore\b|ipFamily="IPv6"/.test(m)
        ? 'ip6tables-restore'
        : 'iptables-restore';
    log.failureCounts[command] = (log.failureCounts[command] ?? 0) + 1;
    if (log.failures.length >= MAX_KEPT) log.failures.shift();
    log.failures.push({
      command,
      backend: /ip6?tables(?:-nft|-legacy)?-restore v[\d.]+ \((legacy|nf_tables)\)/.exec(m)?.[1],
      chain:
        /Couldn't (?:load|find) target `([^'`]+)'|[Cc]hain '?`?([\w-]+)'? does not exist|Couldn't find (?:chain|target) `?'?([\w-]+)/
          .exec(m)
          ?.slice(1)
          .find(Boolean),
      inputLine: numberOf(/Error occurred at line: (\d+)|line (\d+) failed/.exec(m)),
      exitStatus: numberOf(/exit status (\d+)/.exec(m)),
      time: entry.time,
      lines: entry.lines,
      ...(index - state.lastCleanup <= CLEANUP_WINDOW ? { duringCleanup: true } : {}),
      ...(refusal ? { refusal: { ...refusal, time: entry.time, lines: entry.lines } } : {}),
    });
    return;
  }
  const version = VERSION.exec(m);
  if (version) log.version = { value: group(version, 1), line: entry.lines[0] };
  const mode = MODE.exec(m);
  if (mode) log.mode = { value: mode[1] ?? group(mode, 2), line: entry.lines[0] };
}

/** The first group that took part in the match (the pattern's alternatives each have one), as a number. */
function numberOf(m: RegExpExecArray | null): number | undefined {
  for (let i = 1; m && i < m.length; i++) {
    const v = m[i];
    if (v !== undefined) return Number(v);
  }
  return undefined;
}
