import type { NodeNeed } from '../facts/needs.js';
import type { FindingDraft, Severity, Subject } from '../model/finding.js';
import type { CaptureFacts } from '../facts/handshakes.js';
import type { NetnsFacts, NodeFacts } from '../facts/types.js';
import type { IpvsTable } from '../parsers/ipvs.js';
import type { KubeProxyLog } from '../parsers/kube-proxy-log.js';
import type { Counters } from '../parsers/proc-net-counters.js';
import type { SocketTable } from '../parsers/proc-net-tcp.js';
import type { Sysctls } from '../parsers/sysctl.js';
import type { ClusterObjects } from '../parsers/k8s-objects.js';
import type { Workload } from '../facts/workloads.js';
import type { Position } from '../parsers/manifests.js';
import type { PortRange } from '../model/port-range.js';

/**
 * What each need guarantees once the runner has checked it: the fact is there. A rule that declares
 * `needs: ['sockets']` receives `netns.sockets` as a SocketTable, not `SocketTable | undefined`, and writes
 * no `!`. (`iptables` and `conntrack` can be met by more than one artefact, so they narrow nothing.)
 */
interface NeedGuarantees {
  sysctls: { netns: { sysctls: Sysctls } };
  sockets: { netns: { sockets: SocketTable } };
  netstat: { netns: { first: { netstat: Counters } } };
  netstatLater: { netns: { later: { netstat: Counters } } };
  snmp: { netns: { first: { snmp: Counters } } };
  snmpLater: { netns: { later: { snmp: Counters } } };
  conntrack: object;
  iptables: object;
  kubeProxyLog: { node: { kubeProxyLog: KubeProxyLog } };
  ipvs: { netns: { ipvs: { table: IpvsTable } } };
}

type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Part<N extends NodeNeed, K extends 'node' | 'netns'> = Intersect<
  N extends unknown ? (NeedGuarantees[N] extends Record<K, infer P> ? P : unknown) : never
>;

/** The facts a check receives: the node and one namespace, narrowed by the rule's needs. */
export interface NodeRuleContext<N extends NodeNeed = never> {
  node: NodeFacts & Part<N, 'node'>;
  netns: NetnsFacts & Part<N, 'netns'>;
}

export interface NodeRule<N extends NodeNeed = NodeNeed> {
  id: string;
  title: string;
  /** default severity; a finding may lower it */
  severity: Severity;
  needs: readonly N[];
  /**
   * sysctl keys the check decides on. Where the sysctls read are a partial set (a pasted file, not
   * `sysctl -a`), a key missing from it means "not given", and the rule is skipped rather than cleared.
   */
  reads?: string[];
  /** "host": only the node's own network namespace; "netns": every namespace */
  scope: 'host' | 'netns';
  check(ctx: NodeRuleContext<N>): FindingDraft[];
}

/** Every kind of rule goes through this: ids are stable kebab-case (SPEC.md). */
function checked<R extends { id: string }>(rule: R): R {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(rule.id)) throw new Error(`rule id must be kebab-case: ${rule.id}`);
  return rule;
}

/** A node rule; its `needs` narrow the facts its check receives (the runner checks them first). */
export function defineRule<N extends NodeNeed>(rule: NodeRule<N>): NodeRule {
  return checked(rule);
}

export interface ManifestRuleOptions {
  /** the Kubernetes minor version the manifests are for (safe sysctls depend on it) */
  k8sVersion: [number, number];
  nodePortRange: PortRange;
}

/** A manifest finding before the runner adds the rule id, docs link and the workload subject. */
export interface ManifestFindingDraft extends FindingDraft {
  /** the offending node: where SARIF, `--format github` and the text report point */
  position: Position;
}

export interface ManifestRule {
  id: string;
  title: string;
  severity: Severity;
  check(ctx: { workload: Workload; options: ManifestRuleOptions }): ManifestFindingDraft[];
}

export function defineManifestRule(rule: ManifestRule): ManifestRule {
  return checked(rule);
}

/** What a cluster rule reads: the API objects of a dump (or the live API), and the cluster's NodePort range. */
export interface ClusterRuleContext {
  cluster: ClusterObjects;
  nodePortRange: PortRange;
  /** where the range came from: --nodeport-range, kube-apiserver's flag, or the default (said so) */
  nodePortRangeFrom: string;
}

export interface ClusterRule {
  id: string;
  title: string;
  severity: Severity;
  /** the kinds the rule reads: without one of them in the input, the rule is not checked */
  reads: ('Node' | 'Service' | 'DaemonSet' | 'ConfigMap')[];
  /** why the objects read cannot answer this rule's question (said as "not checked"), when they cannot */
  notChecked?(ctx: ClusterRuleContext): string | undefined;
  check(ctx: ClusterRuleContext): FindingDraft[];
}

export function defineClusterRule(rule: ClusterRule): ClusterRule {
  return checked(rule);
}

export interface CaptureRule {
  id: string;
  title: string;
  severity: Severity;
  check(ctx: { capture: CaptureFacts; nodePortRange: PortRange }): FindingDraft[];
}

export function defineCaptureRule(rule: CaptureRule): CaptureRule {
  return checked(rule);
}

/** The subject fields every node finding starts with: which namespace, which pod. */
export function netnsSubject(netns: NetnsFacts): Subject {
  const m = netns.meta;
  const subject: Subject = { netns: m.id };
  if (m.pod) subject.pod = m.namespace ? `${m.namespace}/${m.pod}` : m.pod;
  if (m.container) subject.container = m.container;
  if (m.pid !== undefined && !m.isHost) subject.pid = m.pid;
  if (!m.pod && m.name) subject.name = m.name;
  if (!m.pod && !m.name && m.command && !m.isHost) subject.command = m.command;
  return subject;
}

/** "pod default/web-1" / "netns netns-4026532177 (pid 123 nginx)" / "the host". */
export function describeNetns(netns: NetnsFacts): string {
  const m = netns.meta;
  if (m.isHost) return 'the host network namespace';
  if (m.pod) return `pod ${m.namespace ? m.namespace + '/' : ''}${m.pod}`;
  if (m.name) return `netns ${m.name}`;
  return `netns ${m.id}${m.pid !== undefined ? ` (pid ${m.pid}${m.command ? ' ' + m.command : ''})` : ''}`;
}
