/**
 * The NodeConditions `netdoctor agent` sets, one per failure class (agent/conditions.ts decides their status;
 * the cluster rule node-condition-reported reads them back from the Nodes).
 */
export interface ConditionClass {
  type: string;
  rules: string[];
  /** the reason a False condition carries */
  clear: string;
}

export const CONDITION_CLASSES: ConditionClass[] = [
  { type: 'EphemeralPortsExhausted', rules: ['ephemeral-port-exhaustion'], clear: 'EphemeralPortsAvailable' },
  {
    type: 'EphemeralRangeOverlapsNodePorts',
    rules: ['ephemeral-range-overlaps-nodeports', 'source-port-is-nodeport'],
    clear: 'EphemeralRangeClearOfNodePorts',
  },
  {
    type: 'IptablesBackendSplit',
    rules: ['iptables-backend-split', 'iptables-missing-chain'],
    clear: 'IptablesBackendsConsistent',
  },
  {
    type: 'KubeProxyRulesFailing',
    rules: ['kube-proxy-restore-failure', 'iptables-kernel-mismatch'],
    clear: 'KubeProxyRulesApplied',
  },
  { type: 'IPVSStaleRealServers', rules: ['ipvs-stale-real-server'], clear: 'IPVSRealServersCurrent' },
  { type: 'TimeWaitRecycleBehindNAT', rules: ['tcp-tw-recycle-nat'], clear: 'TimeWaitRecycleOff' },
  { type: 'ListenQueueOverflowing', rules: ['listen-queue-overflow'], clear: 'ListenQueuesKeepingUp' },
  { type: 'ConntrackTablePressure', rules: ['conntrack-table-pressure'], clear: 'ConntrackTableHasRoom' },
];
