/**
 * The agent's Prometheus metrics. Cardinality is bounded by the pods on the node: labels are rule,
 * severity, a namespace id and its pod name, never a destination address or a socket. Kernel counters are
 * exported as counters (`_total`) that advance by the kernel's own deltas between ticks, so rate() works
 * and a counter reset (a namespace recreated) is not a negative rate.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { NetnsFacts, NodeFacts } from '../facts/types.js';
import type { RuleRun } from '../model/coverage.js';
import { SEVERITIES } from '../model/finding.js';
import { intersect, subtract, totalSize } from '../model/port-range.js';
import { sysctlNumber } from '../parsers/sysctl.js';

/** Kernel counters the rules read, by their /proc name → the metric's name part. */
const KERNEL_COUNTERS: [string, string, string][] = [
  [
    'TcpExt.ListenOverflows',
    'listen_overflows',
    "SYNs dropped because a listener's accept queue was full (TcpExt.ListenOverflows).",
  ],
  ['TcpExt.ListenDrops', 'listen_drops', 'SYNs to listening sockets dropped for any reason (TcpExt.ListenDrops).'],
  [
    'TcpExt.PAWSPassive',
    'paws_passive',
    'SYNs rejected by the PAWS timestamp check (TcpExt.PAWSPassive; tcp_tw_recycle behind NAT).',
  ],
  [
    'TcpExt.TCPReqQFullDrop',
    'reqq_full_drops',
    'SYNs dropped because the SYN queue was full (TcpExt.TCPReqQFullDrop).',
  ],
];
const CONNTRACK_COUNTERS: [string, string, string][] = [
  ['drop', 'conntrack_drops', 'Packets nf_conntrack dropped (table full), summed over CPUs.'],
  [
    'insert_failed',
    'conntrack_insert_failed',
    'Conntrack entries that could not be inserted (SNAT port races), summed over CPUs.',
  ],
];

interface TickOutcome {
  facts: NodeFacts;
  run: RuleRun;
  durationSeconds: number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly findings: Gauge;
  private readonly portUse: Gauge;
  private readonly rangePorts: Gauge;
  private readonly usablePorts: Gauge;
  private readonly overlap: Gauge;
  private readonly conntrackEntries: Gauge;
  private readonly conntrackMax: Gauge;
  private readonly kernel = new Map<string, Counter>();
  private readonly lastKernel = new Map<string, number>();
  /** the label set each namespace's counters carry: a pod that went away has its series removed */
  private readonly counterLabels = new Map<string, { netns: string; pod: string }>();
  private readonly ticks: Counter;
  private readonly tickFailures: Counter;
  private readonly tickDuration: Gauge;
  private readonly lastSuccess: Gauge;
  private readonly notChecked: Gauge;
  private readonly namespaces: Gauge;
  private readonly apiErrors: Counter;
  private readonly apiUp: Gauge;
  private readonly eventsHeld: Gauge;

  constructor(build: { version: string; node: string }) {
    const r = [this.registry];
    const ns = ['netns', 'pod'];
    new Gauge({
      name: 'netdoctor_build_info',
      help: 'The agent build; always 1.',
      labelNames: ['version', 'node'],
      registers: r,
    }).set(build, 1);
    this.findings = new Gauge({
      name: 'netdoctor_findings',
      help: 'Findings of the last tick, by rule and severity.',
      labelNames: ['rule', 'severity'],
      registers: r,
    });
    this.portUse = new Gauge({
      name: 'netdoctor_ephemeral_port_use_ratio',
      help: 'Sockets to the busiest destination over the usable ephemeral ports (1 = exhausted).',
      labelNames: ns,
      registers: r,
    });
    this.rangePorts = new Gauge({
      name: 'netdoctor_ephemeral_range_ports',
      help: 'Ports in net.ipv4.ip_local_port_range.',
      labelNames: ns,
      registers: r,
    });
    this.usablePorts = new Gauge({
      name: 'netdoctor_ephemeral_usable_ports',
      help: 'Ports connect() may pick: the range minus ip_local_reserved_ports.',
      labelNames: ns,
      registers: r,
    });
    this.overlap = new Gauge({
      name: 'netdoctor_nodeport_overlap_ports',
      help: 'NodePort-range ports the node may pick as ephemeral source ports (0 = no overlap).',
      registers: r,
    });
    this.conntrackEntries = new Gauge({
      name: 'netdoctor_conntrack_entries',
      help: 'nf_conntrack_count.',
      registers: r,
    });
    this.conntrackMax = new Gauge({ name: 'netdoctor_conntrack_max_entries', help: 'nf_conntrack_max.', registers: r });
    for (const [, name, help] of [...KERNEL_COUNTERS, ...CONNTRACK_COUNTERS])
      this.kernel.set(
        name,
        new Counter({ name: `netdoctor_kernel_${name}_total`, help, labelNames: ns, registers: r }),
      );
    this.ticks = new Counter({ name: 'netdoctor_ticks_total', help: 'Ticks run, failed ones included.', registers: r });
    this.tickFailures = new Counter({
      name: 'netdoctor_tick_failures_total',
      help: 'Ticks that failed (logged on stderr as JSON).',
      registers: r,
    });
    this.tickDuration = new Gauge({
      name: 'netdoctor_tick_duration_seconds',
      help: 'Wall time of the last tick, sampling interval included.',
      registers: r,
    });
    this.lastSuccess = new Gauge({
      name: 'netdoctor_last_success_timestamp_seconds',
      help: 'When the last tick succeeded.',
      registers: r,
    });
    this.notChecked = new Gauge({
      name: 'netdoctor_rule_not_checked',
      help: 'Namespaces where a rule could not run in the last tick, by reason (a rule not checked is not cleared).',
      labelNames: ['rule', 'reason'],
      registers: r,
    });
    this.namespaces = new Gauge({
      name: 'netdoctor_namespaces',
      help: 'Network namespaces judged in the last tick.',
      registers: r,
    });
    this.apiErrors = new Counter({
      name: 'netdoctor_api_errors_total',
      help: 'Kubernetes API calls that failed, by operation.',
      labelNames: ['operation'],
      registers: r,
    });
    this.apiUp = new Gauge({
      name: 'netdoctor_api_up',
      help: '1 when the last Kubernetes API call succeeded, 0 when it failed.',
      registers: r,
    });
    this.eventsHeld = new Gauge({
      name: 'netdoctor_events_held',
      help: 'Events held back by the flood brakes since start.',
      registers: r,
    });
  }

  tick(outcome: TickOutcome, now: Date): void {
    const { facts, run } = outcome;
    this.ticks.inc();
    this.tickDuration.set(outcome.durationSeconds);
    this.lastSuccess.set(now.getTime() / 1000);
    this.namespaces.set(facts.netns.length);
    this.findings.reset();
    for (const rule of new Set(run.coverage.flatMap((c) => c.ran)))
      for (const severity of SEVERITIES) this.findings.set({ rule, severity }, 0);
    for (const f of run.findings) this.findings.inc({ rule: f.rule, severity: f.severity });
    this.notChecked.reset();
    for (const s of run.skipped.filter((x) => !x.notApplicable))
      this.notChecked.set({ rule: s.rule, reason: s.reason.slice(0, 160) }, s.netns?.length ?? 1);
    for (const g of [this.portUse, this.rangePorts, this.usablePorts]) g.reset();
    for (const netns of facts.netns) this.perNamespace(netns);
    this.forgetGone(new Set(facts.netns.map((n) => n.meta.id)));
    const host = facts.netns.find((n) => n.meta.isHost);
    if (host) this.hostGauges(facts, host);
  }

  private perNamespace(netns: NetnsFacts): void {
    const labels = {
      netns: netns.meta.id,
      pod: netns.meta.pod ? `${netns.meta.namespace ?? ''}/${netns.meta.pod}` : '',
    };
    const eph = netns.ephemeral;
    this.rangePorts.set(labels, eph.range.hi - eph.range.lo + 1);
    this.usablePorts.set(labels, eph.usable);
    if (netns.sockets) {
      const busiest = netns.sockets.destinations.reduce((m, d) => Math.max(m, d.total), 0);
      this.portUse.set(labels, eph.usable > 0 ? busiest / eph.usable : 1);
    }
    const counters = netns.later.netstat ?? netns.first.netstat;
    for (const [key, name] of KERNEL_COUNTERS) this.advance(name, labels, counters?.get(key));
    const conntrack = netns.later.conntrack ?? netns.first.conntrack;
    for (const [key, name] of CONNTRACK_COUNTERS) this.advance(name, labels, conntrack?.get(key));
  }

  /**
   * Series of namespaces that are gone (pods deleted) are removed, and so is what was kept to compute their
   * deltas: over days of pod churn neither the exposition nor the agent's memory grows.
   */
  private forgetGone(seen: Set<string>): void {
    for (const [id, labels] of this.counterLabels) {
      if (seen.has(id)) continue;
      for (const counter of this.kernel.values()) counter.remove(labels);
      for (const key of [...this.lastKernel.keys()]) if (key.endsWith(`\0${id}`)) this.lastKernel.delete(key);
      this.counterLabels.delete(id);
    }
  }

  /** Moves a counter by the kernel's delta since the last tick; after a reset, by the new value. */
  private advance(name: string, labels: { netns: string; pod: string }, value: number | undefined): void {
    if (value === undefined) return;
    const key = `${name}\0${labels.netns}`;
    this.counterLabels.set(labels.netns, labels);
    const before = this.lastKernel.get(key);
    this.lastKernel.set(key, value);
    const delta = before === undefined || value < before ? value : value - before;
    this.kernel.get(name)?.inc(labels, delta);
  }

  private hostGauges(facts: NodeFacts, host: NetnsFacts): void {
    const eph = host.ephemeral;
    const shared = intersect(eph.range, facts.nodePorts.range);
    this.overlap.set(shared ? totalSize(subtract(shared, eph.reserved)) : 0);
    const count = host.sysctls ? sysctlNumber(host.sysctls, 'net.netfilter.nf_conntrack_count') : undefined;
    const max = host.sysctls ? sysctlNumber(host.sysctls, 'net.netfilter.nf_conntrack_max') : undefined;
    if (count !== undefined) this.conntrackEntries.set(count);
    if (max !== undefined) this.conntrackMax.set(max);
  }

  tickFailed(): void {
    this.ticks.inc();
    this.tickFailures.inc();
  }

  api(operation: string, ok: boolean): void {
    this.apiUp.set(ok ? 1 : 0);
    if (!ok) this.apiErrors.inc({ operation });
  }

  held(count: number): void {
    this.eventsHeld.set(count);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
