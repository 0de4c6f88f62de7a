/**
 * Kubernetes Events for findings that appear, change severity or clear — not one per tick. A finding is
 * identified by its rule and the subject fields that name where it is (namespace, pod, destination,
 * listener…), not by counts that move every tick. Two brakes keep a flapping rule from flooding the API: a
 * finding that comes back (or changes severity) within the quiet period after its last event is held back
 * (its latest state is sent when the period ends; a clear is never held), and a token bucket bounds all
 * events of the node.
 */
import type { Finding, Severity } from '../model/finding.js';
import { camelCase, truncate } from './conditions.js';

export type EventAction = 'Detected' | 'SeverityChanged' | 'Cleared';

export interface FindingEvent {
  key: string;
  action: EventAction;
  finding: Finding;
  /** the severity before, for SeverityChanged */
  was?: Severity;
}

/** Subject fields that say where a finding is; the rest (counts, ratios) change while it holds. */
const IDENTITY_FIELDS = [
  'node',
  'netns',
  'pod',
  'container',
  'family',
  'backend',
  'chain',
  'localIp',
  'remoteIp',
  'remotePort',
  'listener',
  'service',
  'realServer',
  'sysctl',
  'cause',
];

export function findingKey(f: Finding): string {
  const parts = IDENTITY_FIELDS.filter((k) => f.subject[k] !== undefined).map((k) => `${k}=${String(f.subject[k])}`);
  return `${f.rule}|${parts.join(',')}`;
}

interface EventLimits {
  /** a key's changes within this many ms after its last event are held back */
  quietMs: number;
  /** at most this many events per window */
  burst: number;
  windowMs: number;
}

const DEFAULT_EVENT_LIMITS: EventLimits = { quietMs: 10 * 60_000, burst: 20, windowMs: 10 * 60_000 };

interface Sent {
  severity: Severity | 'cleared';
  at: number;
}

export class EventTracker {
  private readonly sent = new Map<string, Sent>();
  private readonly current = new Map<string, Finding>();
  private readonly stamps: number[] = [];
  /** events left out by the brakes since the start: exported as a metric */
  suppressed = 0;

  constructor(private readonly limits: EventLimits = DEFAULT_EVENT_LIMITS) {}

  /** How many findings the tracker remembers (bounded: cleared ones are forgotten after the quiet period). */
  get tracked(): number {
    return this.sent.size;
  }

  /** The events this tick's findings call for, after the brakes. */
  update(findings: readonly Finding[], now: number): FindingEvent[] {
    // a cleared finding is remembered only through its quiet period: pod churn must not grow the tracker
    for (const [key, s] of this.sent)
      if (s.severity === 'cleared' && now - s.at >= this.limits.quietMs) this.sent.delete(key);
    const seen = new Map<string, Finding>();
    for (const f of findings) if (f.severity !== 'info' && !seen.has(findingKey(f))) seen.set(findingKey(f), f);
    const out: FindingEvent[] = [];
    for (const [key, f] of seen) {
      const last = this.sent.get(key);
      if (!last || last.severity === 'cleared') out.push({ key, action: 'Detected', finding: f });
      else if (last.severity !== f.severity)
        out.push({ key, action: 'SeverityChanged', finding: f, was: last.severity });
    }
    for (const [key, last] of this.sent) {
      if (last.severity === 'cleared' || seen.has(key)) continue;
      const finding = this.current.get(key);
      if (finding) out.push({ key, action: 'Cleared', finding });
    }
    for (const [key, f] of seen) this.current.set(key, f);
    return out.filter((e) => this.admit(e, now));
  }

  private admit(e: FindingEvent, now: number): boolean {
    const last = this.sent.get(e.key);
    // A clear always goes out (people wait for it); a finding that returns soon after is a flap, held back.
    if (e.action !== 'Cleared' && last && now - last.at < this.limits.quietMs) {
      this.suppressed++;
      return false;
    }
    while (this.stamps.length > 0 && now - (this.stamps[0] ?? now) >= this.limits.windowMs) this.stamps.shift();
    if (this.stamps.length >= this.limits.burst) {
      this.suppressed++;
      return false;
    }
    this.stamps.push(now);
    this.sent.set(e.key, { severity: e.action === 'Cleared' ? 'cleared' : e.finding.severity, at: now });
    if (e.action === 'Cleared') this.current.delete(e.key);
    return true;
  }
}

/** What the event is about: the Node, or the Pod when the finding's namespace belongs to one. */
export type Regarding =
  { kind: 'Node'; name: string; uid?: string } | { kind: 'Pod'; namespace: string; name: string; uid?: string };

const REPORTING_CONTROLLER = 'netdoctor.io/agent';
let eventSequence = 0;

/** An events.k8s.io/v1 Event, valid for the API's rules (eventTime, action, reason ≤ 128, note ≤ 1 KiB). */
export function eventBody(e: FindingEvent, regarding: Regarding, node: string, now: Date): Record<string, unknown> {
  const namespace = regarding.kind === 'Pod' ? regarding.namespace : 'default';
  const reason = camelCase(e.finding.rule);
  const note =
    e.action === 'Cleared'
      ? `cleared: ${e.finding.message}`
      : e.action === 'SeverityChanged'
        ? `${e.was ?? '?'} → ${e.finding.severity}: ${e.finding.message} Fix: ${e.finding.remediation}`
        : `${e.finding.message} Fix: ${e.finding.remediation}`;
  const micro = now.toISOString().replace(/Z$/, '000Z');
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      // unique per agent: the time, and a sequence for events of the same millisecond (no randomness)
      name: `${regarding.name}.netdoctor.${now.getTime().toString(36)}.${(++eventSequence).toString(36)}`,
      namespace,
    },
    eventTime: micro,
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: truncate(`netdoctor-agent-${node}`, 128),
    action: e.action,
    reason: truncate(reason, 128),
    note: truncate(note, 1024),
    type: e.action === 'Cleared' ? 'Normal' : 'Warning',
    regarding: {
      apiVersion: 'v1',
      kind: regarding.kind,
      name: regarding.name,
      ...(regarding.kind === 'Pod' ? { namespace: regarding.namespace } : {}),
      ...(regarding.uid ? { uid: regarding.uid } : {}),
    },
  };
}
