import type { NodeRule } from './define-rule.js';
import conntrackTablePressure from './conntrack-table-pressure.js';
import ephemeralPortExhaustion from './ephemeral-port-exhaustion.js';
import ephemeralPortRange from './ephemeral-port-range.js';
import ephemeralRangeOverlapsNodeports from './ephemeral-range-overlaps-nodeports.js';
import ipvsConnReuseMode from './ipvs-conn-reuse-mode.js';
import ipvsStaleRealServer from './ipvs-stale-real-server.js';
import iptablesBackendSplit from './iptables-backend-split.js';
import iptablesMissingChain from './iptables-missing-chain.js';
import kubeProxyRestoreFailure from './kube-proxy-restore-failure.js';
import listenQueueOverflow from './listen-queue-overflow.js';
import sourcePortIsNodeport from './source-port-is-nodeport.js';
import tcpTwRecycleNat from './tcp-tw-recycle-nat.js';
import timeWaitPressure from './time-wait-pressure.js';

/** Every node rule, listed explicitly so that a rule is never lost to a glob. */
export const NODE_RULES: NodeRule[] = [
  ephemeralPortExhaustion,
  ephemeralPortRange,
  ephemeralRangeOverlapsNodeports,
  sourcePortIsNodeport,
  timeWaitPressure,
  listenQueueOverflow,
  conntrackTablePressure,
  iptablesBackendSplit,
  iptablesMissingChain,
  kubeProxyRestoreFailure,
  ipvsStaleRealServer,
  ipvsConnReuseMode,
  tcpTwRecycleNat,
];

export function selectRules(ids: string[] | undefined): NodeRule[] {
  if (!ids || ids.length === 0) return NODE_RULES;
  const unknown = ids.filter((id) => !NODE_RULES.some((r) => r.id === id));
  if (unknown.length > 0) {
    throw new UnknownRuleError(unknown, NODE_RULES.map((r) => r.id));
  }
  return NODE_RULES.filter((r) => ids.includes(r.id));
}

export class UnknownRuleError extends Error {
  constructor(unknown: string[], known: string[]) {
    super(`unknown rule${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${known.join(', ')})`);
    this.name = 'UnknownRuleError';
  }
}
