import { ToolError } from '../model/errors.js';
import { closest } from '../model/suggest.js';
import type { CaptureRule, ClusterRule, ManifestRule, NodeRule } from './define-rule.js';
import type { Severity } from '../model/finding.js';
import icmpUnreachableOnSyn from './icmp-unreachable-on-syn.js';
import synAckRetransmitted from './synack-retransmitted.js';
import synRetransmit1s from './syn-retransmit-1s.js';
import synUnanswered from './syn-unanswered.js';
import timestampsNonMonotonicPerSource from './timestamps-non-monotonic-per-source.js';
import tupleReusedInTimeWait from './tuple-reused-in-time-wait.js';
import replyNotTranslated from './reply-not-translated.js';
import nodeSysctlFromPod from './node-sysctl-from-pod.js';
import portRangeOverlapsNodeports from './port-range-overlaps-nodeports.js';
import preferSafeSysctl from './prefer-safe-sysctl.js';
import sysctlInitContainerUnguarded from './sysctl-init-container-unguarded.js';
import unsafeSysctl from './unsafe-sysctl.js';
import conntrackTablePressure from './conntrack-table-pressure.js';
import ephemeralPortExhaustion from './ephemeral-port-exhaustion.js';
import ephemeralPortRange from './ephemeral-port-range.js';
import ephemeralRangeOverlapsNodeports from './ephemeral-range-overlaps-nodeports.js';
import ipvsConnReuseMode from './ipvs-conn-reuse-mode.js';
import ipvsStaleRealServer from './ipvs-stale-real-server.js';
import iptablesBackendSplit from './iptables-backend-split.js';
import iptablesMissingChain from './iptables-missing-chain.js';
import kubeProxyRestoreFailure from './kube-proxy-restore-failure.js';
import iptablesKernelMismatch from './iptables-kernel-mismatch.js';
import listenQueueOverflow from './listen-queue-overflow.js';
import sourcePortIsNodeport from './source-port-is-nodeport.js';
import tcpTwRecycleNat from './tcp-tw-recycle-nat.js';
import timeWaitPressure from './time-wait-pressure.js';
import nodeportInEphemeralRange from './nodeport-in-ephemeral-range.js';
import kubeProxyIptablesMismatchRisk from './kube-proxy-iptables-mismatch-risk.js';
import ipvsConnReuseRisk from './ipvs-conn-reuse-risk.js';
import nodeConditionReported from './node-condition-reported.js';
import ipvsRealServerNotEndpoint from './ipvs-real-server-not-endpoint.js';
import { at } from '../model/indexing.js';

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
  iptablesKernelMismatch,
  ipvsStaleRealServer,
  ipvsConnReuseMode,
  tcpTwRecycleNat,
];

/** The rules `netdoctor lint` runs on manifests. */
export const MANIFEST_RULES: ManifestRule[] = [
  nodeSysctlFromPod,
  sysctlInitContainerUnguarded,
  unsafeSysctl,
  preferSafeSysctl,
  portRangeOverlapsNodeports,
];

/** The rules `netdoctor pcap` runs on a capture's handshakes. */
export const CAPTURE_RULES: CaptureRule[] = [
  synUnanswered,
  synAckRetransmitted,
  icmpUnreachableOnSyn,
  tupleReusedInTimeWait,
  replyNotTranslated,
  synRetransmit1s,
  timestampsNonMonotonicPerSource,
];

/** The rules `netdoctor cluster` runs on API objects (a dump of `kubectl get -o json`). */
export const CLUSTER_RULES: ClusterRule[] = [
  nodeportInEphemeralRange,
  kubeProxyIptablesMismatchRisk,
  ipvsConnReuseRisk,
  nodeConditionReported,
  ipvsRealServerNotEndpoint,
];

export type RuleTarget = 'node' | 'manifests' | 'pcap' | 'cluster';

/** Every rule, whatever it reads: for `netdoctor rules` and the documentation checks. */
export const ALL_RULES: {
  id: string;
  title: string;
  severity: Severity;
  target: RuleTarget;
  needs?: NodeRule['needs'];
  scope?: NodeRule['scope'];
}[] = [
  ...NODE_RULES.map((r) => ({
    id: r.id,
    title: r.title,
    severity: r.severity,
    target: 'node' as const,
    needs: r.needs,
    scope: r.scope,
  })),
  ...MANIFEST_RULES.map((r) => ({ id: r.id, title: r.title, severity: r.severity, target: 'manifests' as const })),
  ...CAPTURE_RULES.map((r) => ({ id: r.id, title: r.title, severity: r.severity, target: 'pcap' as const })),
  ...CLUSTER_RULES.map((r) => ({ id: r.id, title: r.title, severity: r.severity, target: 'cluster' as const })),
];

/** `--rules a,b` against one family of rules; an id from no family, or another family, is a usage error. */
function select<R extends { id: string }>(family: R[], ids: string[] | undefined): R[] {
  if (!ids || ids.length === 0) return family;
  const unknown = ids.filter((id) => !family.some((r) => r.id === id));
  if (unknown.length > 0)
    throw new UnknownRuleError(
      unknown,
      family.map((r) => r.id),
    );
  return family.filter((r) => ids.includes(r.id));
}

export function selectRules(ids: string[] | undefined): NodeRule[] {
  return select(NODE_RULES, ids);
}

export function selectManifestRules(ids: string[] | undefined): ManifestRule[] {
  return select(MANIFEST_RULES, ids);
}

export function selectCaptureRules(ids: string[] | undefined): CaptureRule[] {
  return select(CAPTURE_RULES, ids);
}

export function selectClusterRules(ids: string[] | undefined): ClusterRule[] {
  return select(CLUSTER_RULES, ids);
}

let rulesById: Map<string, (typeof ALL_RULES)[number]> | undefined;

/** One rule by id: explain asks for every rule of every cause of every line it explains. */
export function ruleInfo(id: string): (typeof ALL_RULES)[number] {
  rulesById ??= new Map(ALL_RULES.map((r) => [r.id, r]));
  return rulesById.get(id) ?? at(select(ALL_RULES, [id]), 0); // select throws on an unknown id
}

class UnknownRuleError extends ToolError {
  constructor(unknown: string[], known: string[]) {
    const hints = unknown.map((u) => closest(u, known)).filter((h): h is string => h !== undefined);
    super(
      `unknown rule${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}${hints.length > 0 ? ` (did you mean ${hints.join(', ')}?)` : ''} (known: ${known.join(', ')})`,
    );
    this.name = 'UnknownRuleError';
  }
}
