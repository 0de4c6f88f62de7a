/**
 * NodeConditions the agent sets: one type per failure class, True while an error or warning finding of the
 * class holds, False when its rules ran and found nothing, Unknown when they could not run (never a False
 * the agent did not earn). Types are stable CamelCase names other tools (alerts, node-problem-detector,
 * cluster autoscalers' ignore lists) can key on.
 */
import type { Coverage, RuleRun } from '../model/coverage.js';
import type { Finding } from '../model/finding.js';
import { CONDITION_CLASSES, type ConditionClass } from '../knowledge/node-conditions.js';

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** The API caps a condition message at 32 KiB; a node's conditions are read by people: keep them short. */
const MAX_MESSAGE = 1024;

/** "ephemeral-port-exhaustion" → "EphemeralPortExhaustion": a condition reason is CamelCase. */
export function camelCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m: string, _sep: string, c: string) => c.toUpperCase());
}

/** At most `max` bytes of UTF-8, cut on a character and marked with "…" (3 bytes) when cut. */
export function truncate(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = text.slice(0, max);
  while (Buffer.byteLength(cut) > max - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function describe(f: Finding): string {
  const where = typeof f.subject.pod === 'string' ? `pod ${f.subject.pod}: ` : '';
  return `${where}${f.message}`;
}

/** Where the class's rules ran, were not checked or do not apply, over every namespace judged. */
function coverageOf(cls: ConditionClass, coverage: Coverage[]): { ran: boolean; unchecked: boolean } {
  const ran = coverage.some((c) => c.ran.some((r) => cls.rules.includes(r)));
  const unchecked = coverage.some((c) => c.skipped.some((r) => cls.rules.includes(r)));
  return { ran, unchecked };
}

/**
 * The conditions for this tick. `previous` keeps lastTransitionTime across ticks where the status did not
 * change; `now` is the heartbeat.
 */
export function conditionsFrom(run: RuleRun, previous: readonly NodeCondition[], now: Date): NodeCondition[] {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return CONDITION_CLASSES.map((cls) => {
    const held = run.findings.filter((f) => cls.rules.includes(f.rule) && f.severity !== 'info');
    const { ran, unchecked } = coverageOf(cls, run.coverage);
    let next: Pick<NodeCondition, 'status' | 'reason' | 'message'>;
    const first = held[0];
    if (first) {
      const more = held.length > 1 ? ` (and ${held.length - 1} more finding${held.length > 2 ? 's' : ''})` : '';
      next = { status: 'True', reason: camelCase(first.rule), message: truncate(describe(first) + more, MAX_MESSAGE) };
    } else if (ran && !unchecked) {
      next = { status: 'False', reason: cls.clear, message: `netdoctor: ${cls.rules.join(', ')} found nothing` };
    } else if (ran) {
      next = {
        status: 'Unknown',
        reason: 'PartlyChecked',
        message: truncate(
          `netdoctor: ${cls.rules.join(', ')} found nothing where they ran, but ${notCheckedWhy(cls, run)}`,
          MAX_MESSAGE,
        ),
      };
    } else if (run.skipped.some((s) => cls.rules.includes(s.rule) && !s.notApplicable)) {
      next = {
        status: 'Unknown',
        reason: 'NotChecked',
        message: truncate(`netdoctor: ${notCheckedWhy(cls, run)}`, MAX_MESSAGE),
      };
    } else {
      next = {
        status: 'False',
        reason: 'NotApplicable',
        message: `netdoctor: ${cls.rules.join(', ')} do not apply on this node`,
      };
    }
    const before = previous.find((c) => c.type === cls.type);
    return {
      type: cls.type,
      ...next,
      lastHeartbeatTime: stamp,
      lastTransitionTime: before && before.status === next.status ? before.lastTransitionTime : stamp,
    };
  });
}

function notCheckedWhy(cls: ConditionClass, run: RuleRun): string {
  const s = run.skipped.find((x) => cls.rules.includes(x.rule) && !x.notApplicable);
  return s ? `${s.rule} was not checked: ${s.reason}` : 'some namespaces were not checked';
}

/** True when the API must hear of it: a status, reason or message changed (heartbeats alone go at their own pace). */
export function conditionsChanged(a: readonly NodeCondition[], b: readonly NodeCondition[]): boolean {
  if (a.length !== b.length) return true;
  return a.some((c, i) => {
    const o = b[i];
    return !o || o.type !== c.type || o.status !== c.status || o.reason !== c.reason || o.message !== c.message;
  });
}
