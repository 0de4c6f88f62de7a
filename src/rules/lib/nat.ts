import type { NetnsFacts } from '../../facts/types.js';
import { kubeChains } from './iptables.js';
import { readLine, type Evidence } from '../../model/finding.js';

/**
 * Whether the namespace source-NATs traffic, from its nat tables in any backend: MASQUERADE or SNAT rules,
 * or kube-proxy's KUBE-POSTROUTING / KUBE-MARK-MASQ (NodePort traffic with externalTrafficPolicy: Cluster is
 * masqueraded). undefined when no iptables-save was collected.
 */
export function natEvidence(netns: NetnsFacts): Evidence[] | undefined {
  const rulesets = Object.values(netns.iptables);
  if (rulesets.length === 0) return undefined;
  const out: Evidence[] = [];
  for (const ruleset of rulesets) {
    const nat = ruleset.tables.get('nat');
    if (!nat) continue;
    for (const rule of nat.rules) {
      if (rule.target === 'MASQUERADE' || rule.target === 'SNAT') {
        out.push(readLine(ruleset.source, rule.text, rule.line));
        if (out.length >= 3) return out;
      }
    }
    for (const c of kubeChains(ruleset)) {
      if (c.table === 'nat' && (c.name === 'KUBE-POSTROUTING' || c.name === 'KUBE-MARK-MASQ'))
        out.push(readLine(ruleset.source, c.text, c.line));
    }
  }
  return out.slice(0, 3);
}
