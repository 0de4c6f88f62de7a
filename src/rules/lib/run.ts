import { IPTABLES_SAVES, type NetnsFacts, type NodeFacts } from '../../facts/types.js';
import {
  SEVERITIES,
  completeFinding,
  netnsSubject,
  type Finding,
  type NodeNeed,
  type NodeRule,
} from '../define-rule.js';

export interface Skipped {
  rule: string;
  reason: string;
  /** the namespaces the reason applies to */
  netns?: string[];
}

export interface RuleRun {
  findings: Finding[];
  skipped: Skipped[];
}

/** Which artefacts (relative to netns/<id>/) each need comes from: the skip reason names them. */
const NEED_ARTEFACTS: Record<Exclude<NodeNeed, 'iptables' | 'kubeProxyLog' | 'ipvs'>, string> = {
  sysctls: 'sysctl.txt',
  sockets: 'proc/net/tcp',
  netstat: 'proc/net/netstat',
  netstatLater: 'later/proc/net/netstat',
  snmp: 'proc/net/snmp',
  snmpLater: 'later/proc/net/snmp',
  conntrack: 'sysctl.txt',
};

function has(node: NodeFacts, netns: NetnsFacts, need: NodeNeed): boolean {
  switch (need) {
    case 'iptables':
      return Object.keys(netns.iptables).length > 0;
    case 'kubeProxyLog':
      return node.kubeProxyLog !== undefined;
    case 'ipvs':
      return netns.ipvs.table !== undefined;
    case 'sysctls':
      return netns.sysctls !== undefined;
    case 'sockets':
      return netns.sockets !== undefined;
    case 'netstat':
      return netns.first.netstat !== undefined;
    case 'netstatLater':
      return netns.later.netstat !== undefined;
    case 'snmp':
      return netns.first.snmp !== undefined;
    case 'snmpLater':
      return netns.later.snmp !== undefined;
    case 'conntrack':
      return netns.sysctls?.has('net.netfilter.nf_conntrack_count') === true;
  }
}

function missingReason(node: NodeFacts, netns: NetnsFacts, need: NodeNeed): string {
  if (need === 'iptables') {
    const reasons = IPTABLES_SAVES.map((s) => netns.problems.get(s)).filter(Boolean);
    return reasons.length > 0 ? [...new Set(reasons)].join('; ') : 'no iptables-save output was collected';
  }
  if (need === 'ipvs') {
    const problem = netns.problems.get('proc/net/ip_vs') ?? netns.problems.get('ipvsadm-Ln');
    return problem ? `proc/net/ip_vs: ${problem}` : 'neither /proc/net/ip_vs nor `ipvsadm -Ln` was collected';
  }
  if (need === 'kubeProxyLog') return `logs/kube-proxy.log: ${node.problems.get('logs/kube-proxy.log') ?? 'not collected'}`;
  const artefact = NEED_ARTEFACTS[need];
  const problem = netns.problems.get(artefact);
  if (problem) return `${artefact}: ${problem}`;
  if (need === 'conntrack' && netns.sysctls) return 'nf_conntrack is not loaded (no net.netfilter.nf_conntrack_count)';
  if (need.endsWith('Later') && node.intervalMs === 0) return 'one sample only (--interval 0): counter rates need two';
  return `${artefact} was not collected`;
}

export function runNodeRules(facts: NodeFacts, rules: NodeRule[]): RuleRun {
  const findings: Finding[] = [];
  const skipped = new Map<string, Skipped>();
  for (const rule of rules) {
    for (const netns of facts.netns) {
      if (rule.scope === 'host' && !netns.meta.isHost) continue;
      const missing = rule.needs.find((n) => !has(facts, netns, n));
      if (missing) {
        const reason = missingReason(facts, netns, missing);
        const key = `${rule.id}\0${reason}`;
        const entry = skipped.get(key) ?? { rule: rule.id, reason, netns: [] };
        entry.netns!.push(netns.meta.id);
        skipped.set(key, entry);
        continue;
      }
      for (const draft of rule.check({ node: facts, netns })) findings.push(completeFinding(rule, draft, netnsSubject(netns)));
    }
  }
  return { findings: sortFindings(findings), skipped: [...skipped.values()] };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      a.rule.localeCompare(b.rule) ||
      String(a.subject.netns ?? '').localeCompare(String(b.subject.netns ?? '')),
  );
}

export function summarize(findings: Finding[]): Record<'error' | 'warning' | 'info', number> {
  const summary = { error: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}
