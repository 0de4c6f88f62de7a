/**
 * The one model every layer shares: what a finding is and what its evidence says. Rules produce it, the
 * reports render it, explain and the agent count it; none of them import another layer to get these types.
 */
import { byCodeUnit } from './indexing.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

/**
 * A line copied verbatim from an artefact: `source` names the artefact ("/proc/net/tcp", "sysctl",
 * "iptables-legacy-save"), `detail` is its text, `line` its 1-based number when the artefact is a file.
 */
export interface LineEvidence {
  kind: 'line';
  source: string;
  line?: number;
  detail: string;
}

/** A statement the tool worked out from what it read ("28,232 of 28,232 ports in use"): `source` is its label. */
export interface DerivedEvidence {
  kind: 'derived';
  source: string;
  /** never set: a statement has no line; declared so that `e.line` reads on any evidence */
  line?: never;
  detail: string;
}

/** JSON consumers tell the two apart by `kind` (added to schemaVersion 1; `source` and `detail` stay). */
export type Evidence = LineEvidence | DerivedEvidence;

/** The text of an artefact as read; `line` when the artefact is a file with numbered lines. */
export function readLine(source: string, text: string, line?: number): LineEvidence {
  return line === undefined ? { kind: 'line', source, detail: text } : { kind: 'line', source, line, detail: text };
}

/** A statement computed from what was read, under a short label. */
export function derived(label: string, detail: string): DerivedEvidence {
  return { kind: 'derived', source: label, detail };
}

export interface Subject {
  netns?: string;
  pod?: string;
  container?: string;
  pid?: number;
  [key: string]: string | number | boolean | undefined;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  subject: Subject;
  evidence: Evidence[];
  remediation: string;
  docs: string;
}

/** What a check returns: the runner fills in the rule id, docs link and netns subject. */
export interface FindingDraft {
  severity?: Severity;
  message: string;
  subject?: Subject;
  evidence: Evidence[];
  remediation: string;
}

export function docsPath(ruleId: string): string {
  return `docs/rules/${ruleId}.md`;
}

/** A check's draft as a finding: the rule's id, default severity and docs page, the subject the runner knows first. */
export function completeFinding(
  rule: { id: string; severity: Severity },
  draft: FindingDraft,
  subject: Subject,
): Finding {
  return {
    rule: rule.id,
    severity: draft.severity ?? rule.severity,
    message: draft.message,
    subject: { ...subject, ...draft.subject },
    evidence: draft.evidence,
    remediation: draft.remediation,
    docs: docsPath(rule.id),
  };
}

/** Most severe first, then by rule and namespace: every report lists findings in this order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      byCodeUnit(a.rule, b.rule) ||
      byCodeUnit(a.subject.netns ?? '', b.subject.netns ?? ''),
  );
}

export function summarize(findings: Finding[]): Record<Severity, number> {
  const summary = { error: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}

/** A finding a manifest annotation silenced, with the annotation's reason: reported, not lost. */
export interface SuppressedFinding extends Finding {
  suppression: { annotation: string; reason?: string };
}
