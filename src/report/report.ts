import { ToolError } from '../model/errors.js';
import type { ExplainedLine, Unrecognised } from '../explain/explained.js';
import { collectionProblems, type NodeFacts } from '../facts/types.js';
import type { CaptureFacts } from '../facts/handshakes.js';
import type { Finding } from '../model/finding.js';
import { summarize } from '../model/finding.js';
import { type Coverage, type RuleRun, type Skipped } from '../model/coverage.js';
import type { SuppressedFinding } from '../model/finding.js';
import { TOOL_NAME, toolVersion } from '../model/tool.js';

const REPORT_SCHEMA_VERSION = 1;

/** The JSON contract of SPEC.md (schemaVersion 1), plus `problems` and `context`. */
export interface Report {
  tool: string;
  version: string;
  schemaVersion: number;
  target: { kind: 'node' | 'bundle' | 'cluster' | 'manifests' | 'pcap' | 'text'; name: string };
  findings: Finding[];
  skipped: Skipped[];
  /** artefacts that could not be collected or read, and why */
  problems: { artefact: string; reason: string; line?: number; column?: number }[];
  summary: { error: number; warning: number; info: number };
  /** what was looked at, for the reader: namespaces, rules, the sampling interval; files and workloads for lint */
  context?: {
    netns?: number;
    rules: number;
    intervalMs?: number;
    nodes?: string[];
    files?: number;
    workloads?: number;
    k8sVersion?: string;
    /** pcap: what each capture held */
    captures?: CaptureSummary[];
  };
  /** sentences about the run as a whole, shown first (not root: only one namespace was read) */
  notes?: string[];
  /**
   * node rules: what was judged where. `complete` is true only when every selected rule ran (or does not
   * apply) in every namespace read; "No problems found" is said only then.
   */
  coverage?: { complete: boolean; ran: number; skipped: number; notApplicable: number; targets: Coverage[] };
  /** findings an annotation on their object silenced (lint), with the reason given */
  suppressed?: SuppressedFinding[];
  /** explain: how much text was read, how many of its lines were recognised, and how many of those are in `explanations` */
  input?: { lines: number; recognised: number; shown: number };
  /** explain: one entry per recognised line, for the first MAX_EXPLAINED_LINES of them */
  explanations?: ExplainedLine[];
  /** explain: what was not recognised, with the closest known messages when nothing was */
  unrecognised?: Unrecognised;
}

/** What a capture held, as the pcap report shows it: its counts, and its span in seconds. */
export type CaptureSummary = Pick<
  CaptureFacts,
  | 'source'
  | 'format'
  | 'linkTypes'
  | 'interfaces'
  | 'packets'
  | 'tcpPackets'
  | 'tuples'
  | 'attempts'
  | 'conversations'
  | 'established'
  | 'refused'
> & { seconds: number };

/** A report with its fields in SPEC.md's order (tool, version, schemaVersion, target, findings, skipped, problems, summary), then the rest. */
export function buildReport(
  target: Report['target'],
  findings: Finding[],
  rest: Pick<Report, 'skipped' | 'problems'> &
    Partial<Pick<Report, 'context' | 'suppressed' | 'input' | 'explanations' | 'unrecognised' | 'notes' | 'coverage'>>,
): Report {
  const { skipped, problems, ...extra } = rest;
  return {
    tool: TOOL_NAME,
    version: toolVersion(),
    schemaVersion: REPORT_SCHEMA_VERSION,
    target,
    findings,
    skipped,
    problems,
    summary: summarize(findings),
    ...extra,
  };
}

/** The tool could not do its job: no selected rule could run on anything read (exit 2). */
class NothingCheckedError extends ToolError {}

export function nodeReport(
  target: Report['target'],
  runs: { facts: NodeFacts; run: RuleRun }[],
  ruleCount: number,
): Report {
  const findings = runs.flatMap(({ facts, run }) =>
    run.findings.map((f) => ({ ...f, subject: { node: facts.hostname, ...f.subject } })),
  );
  const skipped = runs.flatMap(({ run }) => run.skipped);
  const problems = runs.flatMap(({ facts }) => collectionProblems(facts));
  const targets = runs.flatMap(({ run }) => run.coverage);
  const count = (k: 'ran' | 'skipped' | 'notApplicable') => targets.reduce((n, t) => n + t[k].length, 0);
  const coverage = {
    complete: skipped.every((s) => s.notApplicable),
    ran: count('ran'),
    skipped: count('skipped'),
    notApplicable: count('notApplicable'),
    targets,
  };
  const notes = runs.flatMap(({ facts }) => facts.notes);
  if (coverage.ran + coverage.notApplicable === 0)
    throw new NothingCheckedError(nothingCheckedMessage(skipped, target, problems, notes));
  return buildReport(target, findings, {
    skipped,
    problems,
    ...(notes.length > 0 ? { notes } : {}),
    coverage,
    context: {
      netns: runs.reduce((n, r) => n + r.facts.netns.length, 0),
      rules: ruleCount,
      intervalMs: runs[0]?.facts.intervalMs,
      nodes: runs.map((r) => r.facts.hostname),
    },
  });
}

/** One line: what was missing and what to do about it. */
function nothingCheckedMessage(
  skipped: Skipped[],
  target: Report['target'],
  problems: Report['problems'],
  notes: string[],
): string {
  // An input that was not understood is the first thing to fix: say so before the rules it left unchecked.
  const inputs = problems
    .filter((p) => p.artefact.startsWith('loose/') || p.artefact === 'manifest.json')
    .map((p) => p.reason);
  const reasons = [...new Set([...inputs, ...skipped.map((s) => s.reason)])];
  const denied = reasons.some((r) => /permission denied|must be root|EACCES|EPERM/i.test(r));
  const todo = denied
    ? 'run it as root (sudo netdoctor node), or collect a bundle as root and analyse that'
    : target.kind === 'bundle'
      ? "the input holds none of the artefacts the selected rules read: add them (docs/bundle-layout.md lists each file and the rules it feeds), or name a file's kind with --as KIND"
      : 'check that the namespaces still exist and the tools are installed (iproute2, iptables, procps)';
  const shown = reasons.slice(0, 2).join('; ') + (reasons.length > 2 ? `; and ${reasons.length - 2} more reasons` : '');
  const read = notes.map((n) => / read as (\S+) /.exec(n) && n.replace(/ \(.*$/, '')).filter(Boolean);
  const what =
    read.length > 0
      ? ` (${read.slice(0, 3).join('; ')}${read.length > 3 ? '; …' : ''}, but no rule can judge that alone)`
      : '';
  return `nothing could be checked${what}: ${shown || 'no rule selected could run'}. To fix: ${todo}.`;
}
