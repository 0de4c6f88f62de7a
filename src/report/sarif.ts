/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF consumers: one run, the lint rules as
 * reportingDescriptors, results with physical locations and fingerprints that survive lines moving.
 */
import { createHash } from 'node:crypto';
import type { Finding, Severity } from '../model/finding.js';
import type { SuppressedFinding } from '../model/finding.js';
import type { Report } from './report.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

interface SarifRule {
  id: string;
  title: string;
  severity: Severity;
  /** the rule's documentation page (markdown), shown by code scanning as the rule's help */
  help: string;
}

interface SarifOptions {
  rules: SarifRule[];
  /** the project's home; rule pages are <homepage>/blob/main/docs/rules/<id>.md */
  homepage: string;
}

/** Identity of a finding apart from its line: rule, file, object, container, sysctl. */
function fingerprint(f: Finding): string {
  const s = f.subject;
  const key = [f.rule, s.file, s.kind, s.namespace, s.name, s.container, s.sysctl].map((x) => x ?? '').join('|');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** A path as a SARIF artifact URI: relative paths stay relative (to %SRCROOT%), with forward slashes. */
function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  const slashed = file.replaceAll('\\', '/');
  if (slashed.startsWith('/')) return { uri: encodeURI(`file://${slashed}`) };
  return { uri: encodeURI(slashed.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
}

export function renderSarif(report: Report, opts: SarifOptions): string {
  const ruleIndex = new Map(opts.rules.map((r, i) => [r.id, i]));
  const result = (f: Finding | SuppressedFinding) => ({
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule) ?? -1,
    level: LEVEL[f.severity],
    message: { text: `${f.message} Fix: ${f.remediation}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactLocation(String(f.subject.file ?? 'unknown')),
          region: { startLine: Number(f.subject.line ?? 1), startColumn: Number(f.subject.column ?? 1) },
        },
        ...(f.subject.kind
          ? {
              logicalLocations: [
                {
                  name: String(f.subject.name ?? ''),
                  fullyQualifiedName: `${f.subject.kind}/${f.subject.namespace ? `${f.subject.namespace}/` : ''}${f.subject.name ?? ''}`,
                  kind: 'object',
                },
              ],
            }
          : {}),
      },
    ],
    partialFingerprints: { 'netdoctorFinding/v1': fingerprint(f) },
    ...('suppression' in f
      ? {
          suppressions: [
            {
              kind: 'inSource',
              justification: f.suppression.reason ?? `${f.suppression.annotation}: netdoctor.io/ignore`,
            },
          ],
        }
      : {}),
  });
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool,
            version: report.version,
            semanticVersion: report.version,
            informationUri: opts.homepage,
            rules: opts.rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _d, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.title },
              helpUri: `${opts.homepage}/blob/main/docs/rules/${r.id}.md`,
              help: { text: r.help, markdown: r.help },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ['kubernetes', 'networking', 'sysctl'] },
            })),
          },
        },
        results: [...report.findings.map(result), ...(report.suppressed ?? []).map(result)],
        invocations: [
          {
            executionSuccessful: report.problems.length === 0,
            toolExecutionNotifications: [
              ...report.problems.map((p) => ({
                level: 'error',
                message: { text: p.reason },
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: artifactLocation(p.artefact),
                      ...(p.line !== undefined ? { region: { startLine: p.line, startColumn: p.column ?? 1 } } : {}),
                    },
                  },
                ],
              })),
              // Nothing linted is not a clean result: say so where code scanning shows it.
              ...(report.notes ?? []).map((note) => ({ level: 'warning', message: { text: note } })),
            ],
          },
        ],
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
