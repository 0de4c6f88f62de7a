import { IPTABLES_SAVES, type NetnsFacts, type NodeFacts } from '../../facts/types.js';
import {
  SEVERITIES,
  completeFinding,
  netnsSubject,
  type Finding,
  type NodeNeed,
  type NodeRule,
  type NodeRuleContext,
} from '../define-rule.js';

export interface Skipped {
  rule: string;
  reason: string;
  /** the namespaces the reason applies to */
  netns?: string[];
  /**
   * true when the machine has no such thing (no IPVS in the kernel, no kube-proxy): the failure cannot
   * happen here, so the rule is answered, not left unchecked
   */
  notApplicable?: boolean;
}

/** What was judged where: per namespace, the rules that ran, that could not run, and that do not apply. */
export interface Coverage {
  node?: string;
  netns: string;
  ran: string[];
  skipped: string[];
  notApplicable: string[];
}

export interface RuleRun {
  findings: Finding[];
  skipped: Skipped[];
  coverage: Coverage[];
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

/** A need is met, does not apply on this machine (with why), or was not read (with why). */
type NeedState = { state: 'met' } | { state: 'absent' | 'unread'; reason: string };

const MET: NeedState = { state: 'met' };

function needState(node: NodeFacts, netns: NetnsFacts, need: NodeNeed): NeedState {
  switch (need) {
    case 'iptables': {
      if (Object.keys(netns.iptables).length > 0) return MET;
      const reasons = IPTABLES_SAVES.map((s) => netns.problems.get(s)).filter(Boolean);
      return {
        state: 'unread',
        reason: reasons.length > 0 ? shorten([...new Set(reasons)] as string[]) : 'no iptables-save output was read',
      };
    }
    case 'kubeProxyLog': {
      if (node.kubeProxyLog !== undefined) return MET;
      const absent = node.absent.get('logs/kube-proxy.log');
      if (absent) return { state: 'absent', reason: absent };
      return {
        state: 'unread',
        reason: `logs/kube-proxy.log: ${node.problems.get('logs/kube-proxy.log') ?? 'not in the input (pass the log, or --kube-proxy-log FILE)'}`,
      };
    }
    case 'ipvs': {
      if (netns.ipvs.table !== undefined) return MET;
      const absent = netns.absent.get('proc/net/ip_vs');
      if (absent) return { state: 'absent', reason: absent };
      const problem = netns.problems.get('proc/net/ip_vs') ?? netns.problems.get('ipvsadm-Ln');
      return {
        state: 'unread',
        reason: problem ? `proc/net/ip_vs: ${problem}` : 'neither /proc/net/ip_vs nor `ipvsadm -Ln` output was read',
      };
    }
    case 'conntrack':
      if (netns.sysctls?.has('net.netfilter.nf_conntrack_count') === true) return MET;
      // the kernel log saying the table overflowed is evidence enough to judge, on the node's namespace
      if (netns.meta.isHost && (node.kernelLog?.conntrackFull.count ?? 0) > 0) return MET;
      if (netns.sysctls && netns.sysctlsComplete)
        return { state: 'absent', reason: 'nf_conntrack is not loaded (no net.netfilter.nf_conntrack_count)' };
      break;
    case 'sysctls':
      if (netns.sysctls !== undefined) return MET;
      break;
    case 'sockets':
      if (netns.sockets !== undefined) return MET;
      break;
    case 'netstat':
      if (netns.first.netstat !== undefined) return MET;
      break;
    case 'netstatLater':
      if (netns.later.netstat !== undefined) return MET;
      if (node.intervalMs === 0 && netns.first.netstat)
        return {
          state: 'unread',
          reason: 'one sample only (--interval 0 or a single `netstat -s`): counter rates need two',
        };
      break;
    case 'snmp':
      if (netns.first.snmp !== undefined) return MET;
      break;
    case 'snmpLater':
      if (netns.later.snmp !== undefined) return MET;
      if (node.intervalMs === 0 && netns.first.snmp)
        return { state: 'unread', reason: 'one sample only (--interval 0): counter rates need two' };
      break;
  }
  const artefact = NEED_ARTEFACTS[need];
  const problem = netns.problems.get(artefact);
  if (problem) return { state: 'unread', reason: `${artefact}: ${problem}` };
  return { state: 'unread', reason: `${artefact} was not read${netns.meta.isHost ? '' : ' for this namespace'}` };
}

/** Four save commands failing alike make one reason, not four. */
function shorten(reasons: string[]): string {
  return reasons.length <= 1 ? (reasons[0] ?? '') : `${reasons[0]} (and ${reasons.length - 1} more like it)`;
}

/** With a partial set of sysctls (one pasted file, a sysctl.conf), a key the rule reads may simply not have been given. */
function missingSysctl(rule: NodeRule, netns: NetnsFacts): string | undefined {
  const sysctls = netns.sysctls;
  if (!sysctls || netns.sysctlsComplete) return undefined;
  const missing = (rule.reads ?? []).filter((k) => !sysctls.has(k));
  return missing.length > 0
    ? `${missing.join(', ')} ${missing.length === 1 ? 'was' : 'were'} not among the sysctls read (pass \`sysctl -a\` output)`
    : undefined;
}

export function runNodeRules(facts: NodeFacts, rules: NodeRule[]): RuleRun {
  const findings: Finding[] = [];
  const skipped = new Map<string, Skipped>();
  const coverage = new Map<string, Coverage>();
  for (const netns of facts.netns)
    coverage.set(netns.meta.id, {
      node: facts.hostname,
      netns: netns.meta.id,
      ran: [],
      skipped: [],
      notApplicable: [],
    });
  for (const rule of rules) {
    for (const netns of facts.netns) {
      const cover = coverage.get(netns.meta.id)!;
      if (rule.scope === 'host' && !netns.meta.isHost) continue;
      let blocked: NeedState | undefined;
      for (const need of rule.needs) {
        const s = needState(facts, netns, need);
        if (s.state !== 'met') {
          blocked = s;
          break;
        }
      }
      const partial = blocked ? undefined : missingSysctl(rule, netns);
      if (partial) blocked = { state: 'unread', reason: partial };
      if (blocked && blocked.state !== 'met') {
        const notApplicable = blocked.state === 'absent';
        const key = `${rule.id}\0${blocked.reason}`;
        const entry = skipped.get(key) ?? {
          rule: rule.id,
          reason: blocked.reason,
          netns: [],
          ...(notApplicable ? { notApplicable } : {}),
        };
        entry.netns!.push(netns.meta.id);
        skipped.set(key, entry);
        (notApplicable ? cover.notApplicable : cover.skipped).push(rule.id);
        continue;
      }
      cover.ran.push(rule.id);
      // every need was checked above: the facts the rule's types promise are there
      const ctx = { node: facts, netns } as NodeRuleContext<NodeNeed>;
      for (const draft of rule.check(ctx)) findings.push(completeFinding(rule, draft, netnsSubject(netns)));
    }
  }
  if (!facts.netns.some((n) => n.meta.isHost)) {
    // Judged as pods only: the node-level rules had nothing to run on, and that is said, not hidden.
    for (const rule of rules.filter((r) => r.scope === 'host')) {
      skipped.set(rule.id, {
        rule: rule.id,
        reason: "the node's own network namespace was not read (pass --as-node to judge this namespace as a node)",
      });
    }
  }
  return { findings: sortFindings(findings), skipped: [...skipped.values()], coverage: [...coverage.values()] };
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      a.rule.localeCompare(b.rule) ||
      (a.subject.netns ?? '').localeCompare(b.subject.netns ?? ''),
  );
}

export function summarize(findings: Finding[]): Record<'error' | 'warning' | 'info', number> {
  const summary = { error: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}
