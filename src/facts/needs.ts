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
export type NeedState = { state: 'met' } | { state: 'absent' | 'unread'; reason: string };

const MET: NeedState = { state: 'met' };

export function needState(node: NodeFacts, netns: NetnsFacts, need: NodeNeed): NeedState {
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
