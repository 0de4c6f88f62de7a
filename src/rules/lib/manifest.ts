import type { ContainerFacts, ContainerSysctlWrite, Workload } from '../../facts/workloads.js';
import type { Position } from '../../parsers/manifests.js';
import type { Evidence } from '../../model/finding.js';

/** The manifest line a finding points at, as evidence: file, line number and the line as written. */
export function lineEvidence(w: Workload, position: Position, note?: string): Evidence {
  const text = (w.file.lines[position.line - 1] ?? '').trim();
  return { kind: 'line', source: w.file.source, line: position.line, detail: note ? `${text}  (${note})` : text };
}

/** "DaemonSet kube-system/node-tuner" */
export function describeWorkload(w: Workload): string {
  return `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`;
}

/** 'initContainer "setup"' */
export function describeContainer(c: ContainerFacts): string {
  return `${c.init ? 'initContainer' : 'container'} "${c.name}"`;
}

/** "sysctl -w net.core.somaxconn=1024" as the user reads it, for evidence notes. */
function describeWrite(write: ContainerSysctlWrite): string {
  if (write.via === 'sysctl -p') return `loads ${write.file} (sysctl -p)`;
  return `${write.key}${write.value !== undefined ? ` = ${write.value}` : ''}`;
}

export function writeEvidence(w: Workload, writes: ContainerSysctlWrite[]): Evidence[] {
  return writes.map((write) =>
    lineEvidence(
      w,
      write.position,
      describeWrite(write) + (write.viaNsenterPid1 ? ', through nsenter into pid 1' : '') + guardNote(write),
    ),
  );
}

function guardNote(write: ContainerSysctlWrite): string {
  if (!write.guard) return '';
  if (write.guardValid) return `, guarded by $${write.guard.left} vs $${write.guard.right}`;
  return `, compares $${write.guard.left} with $${write.guard.right}, but they are not status.podIP and status.hostIP from the downward API`;
}

/** The shell guard and the env it needs, as a remediation snippet. */
export const GUARD_FIX =
  'wrap the writes in `if [ "$POD_IP" != "$HOST_IP" ]; then … fi`, with env POD_IP from fieldRef status.podIP and HOST_IP from fieldRef status.hostIP, so they never run in the node\'s network namespace';

/** Writes of net.* sysctls (and `sysctl -p`, whose keys are unknown). */
export function isNetWrite(write: ContainerSysctlWrite): boolean {
  return write.via === 'sysctl -p' || write.key?.startsWith('net.') === true || write.via === '/sys/module';
}
