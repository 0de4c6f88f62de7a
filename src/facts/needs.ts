import { IPTABLES_SAVES, type NetnsFacts, type NodeFacts } from './types.js';

/**
 * Which facts a rule can require, and whether this node and namespace have them. The facts layer answers
 * this, not the rule runner: it alone knows which artefact each fact comes from, so the reason a rule was
 * not checked names the artefact ("proc/net/tcp: permission denied") without the runner knowing paths.
 */
/** Facts a node rule can require; a missing one skips the rule for that netns, with the reason. */
export type NodeNeed =
  | 'sysctls'
  | 'sockets'
  | 'netstat'
  | 'netstatLater'
  | 'snmp'
  | 'snmpLater'
  | 'conntrack'
  | 'iptables'
  | 'kubeProxyLog'
  | 'ipvs';

/** Which artefacts (relative to netns/<id>/) each need comes from: the skip reason names them. */
const NEED_ARTEFACTS: Record<NodeNeed, string> = {
  iptables: 'iptables-save',
  kubeProxyLog: 'logs/kube-proxy.log',
  ipvs: 'proc/net/ip_vs',
  sysctls: 'sysctl.txt',
  sockets: 'proc/net/tcp',
  netstat: 'proc/net/netstat',
  netstatLater: 'later/proc/net/netstat',
  snmp: 'proc/net/snmp',
  snmpLater: 'later/proc/net/snmp',
  conntrack: 'sysctl.txt',
};

/** A need is met, does not apply on this machine (with why), or was not read (with why). */
export type NeedState = { state: 'met' } | { state: 'absent' | 'unread'; reason: string };

const MET: NeedState = { state: 'met' };

/**
 * Each need's own test: MET, a decided absence or unread state, or undefined for "not there", which
 * `needState` turns into the generic reason naming the need's artefact.
 */
const CHECKS: Record<NodeNeed, (node: NodeFacts, netns: NetnsFacts) => NeedState | undefined> = {
  iptables: (_node, netns) => {
    if (Object.keys(netns.iptables).length > 0) return MET;
    const reasons = IPTABLES_SAVES.map((s) => netns.problems.get(s)).filter((r) => r !== undefined);
    return {
      state: 'unread',
      reason: reasons.length > 0 ? shorten([...new Set(reasons)]) : 'no iptables-save output was read',
    };
  },
  kubeProxyLog: (node) => {
    if (node.kubeProxyLog !== undefined) return MET;
    const absent = node.absent.get('logs/kube-proxy.log');
    if (absent) return { state: 'absent', reason: absent };
    return {
      state: 'unread',
      reason: `logs/kube-proxy.log: ${node.problems.get('logs/kube-proxy.log') ?? 'not in the input (pass the log, or --kube-proxy-log FILE)'}`,
    };
  },
  ipvs: (_node, netns) => {
    if (netns.ipvs.table !== undefined) return MET;
    const absent = netns.absent.get('proc/net/ip_vs');
    if (absent) return { state: 'absent', reason: absent };
    const problem = netns.problems.get('proc/net/ip_vs') ?? netns.problems.get('ipvsadm-Ln');
    return {
      state: 'unread',
      reason: problem ? `proc/net/ip_vs: ${problem}` : 'neither /proc/net/ip_vs nor `ipvsadm -Ln` output was read',
    };
  },
  conntrack: (node, netns) => {
    if (netns.sysctls?.has('net.netfilter.nf_conntrack_count') === true) return MET;
    // the kernel log saying the table overflowed is evidence enough to judge, on the node's namespace
    if (netns.meta.isHost && (node.kernelLog?.conntrackFull.count ?? 0) > 0) return MET;
    if (netns.sysctls && netns.sysctlsComplete)
      return { state: 'absent', reason: 'nf_conntrack is not loaded (no net.netfilter.nf_conntrack_count)' };
    return undefined;
  },
  sysctls: (_node, netns) => (netns.sysctls !== undefined ? MET : undefined),
  sockets: (_node, netns) => (netns.sockets !== undefined ? MET : undefined),
  netstat: (_node, netns) => (netns.first.netstat !== undefined ? MET : undefined),
  snmp: (_node, netns) => (netns.first.snmp !== undefined ? MET : undefined),
  netstatLater: (node, netns) => {
    if (netns.later.netstat !== undefined) return MET;
    if (node.intervalMs === 0 && netns.first.netstat)
      return {
        state: 'unread',
        reason: 'one sample only (--interval 0 or a single `netstat -s`): counter rates need two',
      };
    return undefined;
  },
  snmpLater: (node, netns) => {
    if (netns.later.snmp !== undefined) return MET;
    if (node.intervalMs === 0 && netns.first.snmp)
      return { state: 'unread', reason: 'one sample only (--interval 0): counter rates need two' };
    return undefined;
  },
};

export function needState(node: NodeFacts, netns: NetnsFacts, need: NodeNeed): NeedState {
  const decided = CHECKS[need](node, netns);
  if (decided) return decided;
  const artefact = NEED_ARTEFACTS[need];
  const problem = netns.problems.get(artefact);
  if (problem) return { state: 'unread', reason: `${artefact}: ${problem}` };
  return { state: 'unread', reason: `${artefact} was not read${netns.meta.isHost ? '' : ' for this namespace'}` };
}

/** Four save commands failing alike make one reason, not four. */
function shorten(reasons: string[]): string {
  return reasons.length <= 1 ? (reasons[0] ?? '') : `${reasons[0]} (and ${reasons.length - 1} more like it)`;
}
