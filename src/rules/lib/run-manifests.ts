import type { SuppressedFinding } from '../../model/finding.js';
import type { Workload } from '../../facts/workloads.js';
import { type ManifestRule, type ManifestRuleOptions } from '../define-rule.js';
import { completeFinding, type Finding } from '../../model/finding.js';

/** The subject every manifest finding starts with: where it is and which object. */
function workloadSubject(w: Workload): Finding['subject'] {
  return {
    file: w.file.source,
    kind: w.kind,
    name: w.name,
    ...(w.namespace ? { namespace: w.namespace } : {}),
    ...(w.helmSource ? { template: w.helmSource } : {}),
  };
}

/** Runs the rules on each workload; findings the object's netdoctor.io/ignore annotation names are set aside. */
export function runManifestRules(
  workloads: Workload[],
  rules: ManifestRule[],
  options: ManifestRuleOptions,
): { findings: Finding[]; suppressed: SuppressedFinding[] } {
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const w of workloads) {
    for (const rule of rules) {
      for (const draft of rule.check({ workload: w, options })) {
        const { position, ...rest } = draft;
        const finding = completeFinding(rule, rest, {
          ...workloadSubject(w),
          line: position.line,
          column: position.column,
        });
        if (w.ignore && (w.ignore.rules.includes(rule.id) || w.ignore.rules.includes('*'))) {
          suppressed.push({
            ...finding,
            suppression: { annotation: `${w.file.source}:${w.ignore.position.line}`, reason: w.ignore.reason },
          });
        } else findings.push(finding);
      }
    }
  }
  return { findings, suppressed };
}
