/**
 * The resident agent: runs the node rules on every tick and tells the systems that already watch nodes —
 * Prometheus (metrics), the API (NodeConditions, Events), node-problem-detector (status files). A tick that
 * fails is logged as one JSON line, counted, and the next tick runs; an API that is down, slow or refusing
 * never stops the diagnosis: calls back off, the failure is logged once per change and shows in a metric.
 */
import type { NodeFacts } from '../facts/types.js';
import type { RuleRun } from '../model/coverage.js';
import { conditionsChanged, conditionsFrom, truncate, type NodeCondition } from './conditions.js';
import { EventTracker, eventBody, type FindingEvent, type Regarding } from './events.js';
import { AgentMetrics } from './metrics.js';
import { IPVS_ANNOTATION, ipvsAnnotation, portAnnotations } from '../model/node-annotations.js';

/** The API calls the agent makes (sources/kube/client.ts implements them with client-node). */
export interface AgentApi {
  nodeUid(node: string): Promise<ApiOutcome<string | undefined>>;
  /** a strategic merge patch of nodes/status: conditions merge by type; annotations (metadata) merge by key */
  patchNodeStatus(
    node: string,
    patch: { conditions?: object[]; annotations?: Record<string, string> },
  ): Promise<ApiOutcome>;
  createEvent(namespace: string, body: Record<string, unknown>): Promise<ApiOutcome>;
}
export type ApiOutcome<T = undefined> = { ok: true; value: T } | { ok: false; status?: number; reason: string };

export interface TickResult {
  facts: NodeFacts;
  run: RuleRun;
}

export interface AgentOptions {
  node: string;
  version: string;
  diagnose: () => Promise<TickResult>;
  api?: AgentApi;
  /** set the agent's own NodeConditions (off when node-problem-detector sets them from the status files) */
  conditions: boolean;
  events: boolean;
  /** writes node-problem-detector's status files */
  statusFiles?: (files: Map<string, string>) => void;
  log: (entry: Record<string, unknown>) => void;
  now?: () => Date;
  /** conditions are re-sent at least this often even when nothing changed (their heartbeat) */
  heartbeatMs?: number;
}

/** NPD's custom plugin protocol: 0 OK, 1 problem, 2 unknown; its output is cut at 80 bytes. */
const NPD_CODE: Record<NodeCondition['status'], number> = { False: 0, True: 1, Unknown: 2 };
const NPD_MAX_OUTPUT = 80;
const MAX_PENDING_EVENTS = 200;
const BACKOFF_START_MS = 5_000;
const BACKOFF_MAX_MS = 300_000;

/** NPD's plugin passes printable ASCII only (deploy/components/node-problem-detector): say it in ASCII. */
function asciiLine(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replaceAll('→', '->')
    .replaceAll('…', '...')
    .replace(/[^ -~]/g, '?');
}

export class Agent {
  readonly metrics: AgentMetrics;
  private readonly tracker = new EventTracker();
  private readonly now: () => Date;
  private conditions: NodeCondition[] = [];
  private conditionsSentAt = 0;
  private conditionsPending = false;
  /** the node's port range and reserved ports for `netdoctor cluster`; sent when they change */
  private annotations: Record<string, string> | undefined;
  private annotationsSent = '';
  private pendingEvents: Record<string, unknown>[] = [];
  private apiFailing: string | undefined;
  private backoffMs = 0;
  private nextApiAttempt = 0;
  private nodeUid: string | undefined;
  private lastTick: TickResult | undefined;
  ready = false;

  constructor(private readonly opts: AgentOptions) {
    this.now = opts.now ?? (() => new Date());
    this.metrics = new AgentMetrics({ version: opts.version, node: opts.node });
  }

  /** One tick: diagnose, export, tell the API. Never throws. */
  async tick(): Promise<TickResult | undefined> {
    const started = performance.now();
    let result: TickResult;
    try {
      result = await this.opts.diagnose();
    } catch (e) {
      this.metrics.tickFailed();
      this.opts.log({ level: 'error', msg: 'tick failed', error: (e as Error).message.slice(0, 500) });
      return undefined;
    }
    const now = this.now();
    this.lastTick = result;
    this.metrics.tick({ ...result, durationSeconds: (performance.now() - started) / 1000 }, now);
    this.ready = true;
    const next = conditionsFrom(result.run, this.conditions, now);
    const changed = conditionsChanged(next, this.conditions);
    this.conditions = next;
    if (changed) this.conditionsPending = true;
    if (now.getTime() - this.conditionsSentAt >= (this.opts.heartbeatMs ?? 60_000)) this.conditionsPending = true;
    const host = result.facts.netns.find((n) => n.meta.isHost);
    const ports = host?.sysctls ? portAnnotations(host.ephemeral) : undefined;
    // the IPVS table as kube-proxy programmed it (IPVS mode only), for the cluster's endpoint check
    const table = host?.ipvs.table;
    const ipvs: Record<string, string> =
      table && !table.named ? { [IPVS_ANNOTATION]: ipvsAnnotation(table.services) } : {};
    this.annotations = ports || table ? { ...ports, ...ipvs } : undefined;
    this.writeStatusFiles(next);
    if (this.opts.events) this.queueEvents(this.tracker.update(result.run.findings, now.getTime()), result, now);
    this.metrics.held(this.tracker.suppressed);
    await this.talkToApi(now);
    return result;
  }

  /** The conditions and metrics of the last tick, for `agent --once`. */
  snapshot(): { conditions: NodeCondition[]; events: Record<string, unknown>[]; last?: TickResult } {
    return { conditions: this.conditions, events: [...this.pendingEvents], last: this.lastTick };
  }

  private writeStatusFiles(conditions: NodeCondition[]): void {
    if (!this.opts.statusFiles) return;
    const files = new Map(
      conditions.map((c) => [
        c.type,
        `${NPD_CODE[c.status]}\n${truncate(asciiLine(`${c.reason}: ${c.message}`), NPD_MAX_OUTPUT)}\n`,
      ]),
    );
    try {
      this.opts.statusFiles(files);
    } catch (e) {
      this.opts.log({ level: 'error', msg: 'status files not written', error: (e as Error).message });
    }
  }

  private queueEvents(events: FindingEvent[], result: TickResult, now: Date): void {
    for (const e of events) {
      const body = eventBody(e, this.regarding(e, result), this.opts.node, now);
      this.pendingEvents.push(body);
    }
    // A long API outage must not grow memory: the oldest are dropped (counted as held back).
    const over = this.pendingEvents.length - MAX_PENDING_EVENTS;
    if (over > 0) {
      this.pendingEvents.splice(0, over);
      this.tracker.suppressed += over;
    }
  }

  /** The Pod when the finding's namespace is a pod's (uid from its cgroup path), else the Node. */
  private regarding(e: FindingEvent, result: TickResult): Regarding {
    const meta = result.facts.netns.find((n) => n.meta.id === e.finding.subject.netns)?.meta;
    if (meta?.pod && meta.namespace && !meta.isHost)
      return { kind: 'Pod', namespace: meta.namespace, name: meta.pod, uid: meta.podUid };
    return { kind: 'Node', name: this.opts.node, uid: this.nodeUid };
  }

  /** Conditions (when due) and annotations (when changed) in one nodes/status patch; false when it failed. */
  private async patchStatus(api: AgentApi, now: Date): Promise<boolean> {
    const sendConditions = this.opts.conditions && this.conditionsPending;
    const annotations = this.annotations && JSON.stringify(this.annotations);
    const sendAnnotations = annotations !== undefined && annotations !== this.annotationsSent;
    if (!sendConditions && !sendAnnotations) return true;
    const r = await api.patchNodeStatus(this.opts.node, {
      ...(sendConditions ? { conditions: this.conditions } : {}),
      ...(sendAnnotations ? { annotations: this.annotations } : {}),
    });
    if (!this.record('patch node status', r)) return false;
    if (sendConditions) {
      this.conditionsPending = false;
      this.conditionsSentAt = now.getTime();
    }
    if (annotations !== undefined) this.annotationsSent = annotations;
    return true;
  }

  private async talkToApi(now: Date): Promise<void> {
    const api = this.opts.api;
    if (!api || now.getTime() < this.nextApiAttempt) return;
    if (!(await this.patchStatus(api, now))) return;
    if (this.nodeUid === undefined && this.pendingEvents.length > 0) {
      const uid = await api.nodeUid(this.opts.node);
      if (!this.record('get node', uid)) return;
      this.nodeUid = uid.ok ? uid.value : undefined;
    }
    while (this.pendingEvents.length > 0) {
      const body = this.pendingEvents[0];
      if (!body) break;
      const namespace = (body.metadata as { namespace: string }).namespace;
      // the Node's uid is learnt at the first API contact, maybe after the event was queued
      const regarding = body.regarding as { kind: string; uid?: string };
      if (regarding.kind === 'Node' && !regarding.uid && this.nodeUid) regarding.uid = this.nodeUid;
      const r = await api.createEvent(namespace, body);
      this.pendingEvents.shift();
      // 409: an event of that name exists (a retry after a timeout that did land): it is posted.
      // 400/404/422: the API will never take this one; dropping it keeps the others flowing.
      if (!r.ok && (r.status === 400 || r.status === 404 || r.status === 422)) {
        this.metrics.api('create event', false);
        this.opts.log({ level: 'warn', msg: 'event refused by the API, dropped', error: r.reason });
        continue;
      }
      if (r.ok || r.status === 409) {
        this.record('create event', { ok: true, value: undefined });
        continue;
      }
      this.pendingEvents.unshift(body);
      this.record('create event', r);
      return;
    }
  }

  /** Counts the call; on failure backs off and logs once per change of reason. True when it succeeded. */
  private record(operation: string, r: ApiOutcome<unknown>): boolean {
    this.metrics.api(operation, r.ok);
    if (r.ok) {
      if (this.apiFailing !== undefined) this.opts.log({ level: 'info', msg: 'Kubernetes API reachable again' });
      this.apiFailing = undefined;
      this.backoffMs = 0;
      return true;
    }
    const reason = `${operation}: ${r.reason}`;
    if (this.apiFailing !== reason)
      this.opts.log({ level: 'warn', msg: 'Kubernetes API call failed; diagnosis and metrics go on', error: reason });
    this.apiFailing = reason;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs === 0 ? BACKOFF_START_MS : this.backoffMs * 2);
    this.nextApiAttempt = this.now().getTime() + this.backoffMs;
    return false;
  }
}

/** Runs `agent.tick` every `intervalMs` (measured from the start of a tick) until `signal` aborts. */
export async function runEvery(agent: Agent, intervalMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const started = Date.now();
    await agent.tick();
    const wait = Math.max(0, intervalMs - (Date.now() - started));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
