import type { ExplainedLine, Unrecognised } from '../explain/explained.js';
import { collectionProblems, type NodeFacts } from '../facts/types.js';
import type { Finding } from '../rules/define-rule.js';
import { summarize, type RuleRun, type Skipped } from '../rules/lib/run.js';
import type { SuppressedFinding } from '../rules/lib/run-manifests.js';
import { TOOL_NAME, TOOL_VERSION } from '../sources/package-info.js';

export const REPORT_SCHEMA_VERSION = 1;

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
    captures?: { source: string; format?: string; linkTypes: number[]; interfaces: number; packets: number; tcpPackets: number; tuples: number; attempts: number; conversations: number; established: number; refused: number; seconds: number }[];
  };
  /** findings an annotation on their object silenced (lint), with the reason given */
  suppressed?: SuppressedFinding[];
  /** explain: how much text was read, how many of its lines were recognised, and how many of those are in `explanations` */
  input?: { lines: number; recognised: number; shown: number };
  /** explain: one entry per recognised line, for the first MAX_EXPLAINED_LINES of them */
  explanations?: ExplainedLine[];
  /** explain: what was not recognised, with the closest known messages when nothing was */
  unrecognised?: Unrecognised;
}

/** A report with its fields in SPEC.md's order (tool, version, schemaVersion, target, findings, skipped, problems, summary), then the rest. */
export function buildReport(target: Report['target'], findings: Finding[], rest: Pick<Report, 'skipped' | 'problems'> & Partial<Pick<Report, 'context' | 'suppressed' | 'input' | 'explanations' | 'unrecognised'>>): Report {
  const { skipped, problems, ...extra } = rest;
  return { tool: TOOL_NAME, version: TOOL_VERSION, schemaVersion: REPORT_SCHEMA_VERSION, target, findings, skipped, problems, summary: summarize(findings), ...extra };
}

export function nodeReport(target: Report['target'], runs: { facts: NodeFacts; run: RuleRun }[], ruleCount: number): Report {
  const findings = runs.flatMap(({ facts, run }) => run.findings.map((f) => ({ ...f, subject: { node: facts.hostname, ...f.subject } })));
  const skipped = runs.flatMap(({ run }) => run.skipped);
  const problems = runs.flatMap(({ facts }) => collectionProblems(facts));
  return buildReport(target, findings, {
    skipped,
    problems,
    context: {
      netns: runs.reduce((n, r) => n + r.facts.netns.length, 0),
      rules: ruleCount,
      intervalMs: runs[0]?.facts.intervalMs,
      nodes: runs.map((r) => r.facts.hostname),
    },
  });
}
