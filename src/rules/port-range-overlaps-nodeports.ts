import { writesReachingNode, type ContainerSysctlWrite, type Located } from '../facts/workloads.js';
import { parsePortList, parsePortRange } from '../parsers/port-range.js';
import { formatRange, type PortRange } from '../model/port-range.js';
import { defineManifestRule, type ManifestFindingDraft } from './define-rule.js';
import { describeContainer, describeWorkload, lineEvidence, writeEvidence } from './lib/manifest.js';

const RANGE = 'net.ipv4.ip_local_port_range';
const RESERVED = 'net.ipv4.ip_local_reserved_ports';

function tryRange(value: string | undefined): PortRange | undefined {
  try {
    return value === undefined ? undefined : parsePortRange(value, RANGE);
  } catch {
    return undefined;
  }
}

/** The part of `a` that `b` overlaps, minus reserved ports (kept to the first uncovered stretch). */
function uncoveredOverlap(a: PortRange, b: PortRange, reserved: PortRange[]): PortRange[] {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  if (lo > hi) return [];
  const out: PortRange[] = [];
  let next = lo;
  for (const r of reserved.filter((x) => x.hi >= lo && x.lo <= hi)) {
    if (r.lo > next) out.push({ lo: next, hi: r.lo - 1 });
    next = Math.max(next, r.hi + 1);
  }
  if (next <= hi) out.push({ lo: next, hi });
  return out;
}

export default defineManifestRule({
  id: 'port-range-overlaps-nodeports',
  title: 'A declared ip_local_port_range overlaps the NodePort range on the node, or starts below 1024',
  severity: 'error',
  check({ workload: w, options }) {
    const out: ManifestFindingDraft[] = [];
    const declared: { at: Located<string>; container?: string; write?: ContainerSysctlWrite }[] = w.sysctls
      .filter((s) => s.value.name === RANGE)
      .map((s) => ({ at: { value: s.value.value, position: s.position } }));
    for (const c of w.containers)
      for (const write of c.writes)
        if (write.key === RANGE && write.value !== undefined)
          declared.push({ at: { value: write.value, position: write.position }, container: c.name, write });
    for (const d of declared) {
      const range = tryRange(d.at.value);
      if (range && range.lo < 1024) {
        out.push({
          message: `${describeWorkload(w)} sets ${RANGE} to ${formatRange(range)}, starting below 1024: the kernel refuses a range below ip_unprivileged_port_start (1024 unless lowered; "Invalid argument"), and where it is lowered too, outgoing connections take well-known ports that servers need.`,
          position: d.at.position,
          subject: { sysctl: RANGE, ...(d.container ? { container: d.container } : {}) },
          evidence: [lineEvidence(w, d.at.position, `${RANGE} = ${d.at.value}`)],
          remediation:
            'Start the range at 1024 or above, e.g. "32768 60999" (the kernel default) or "10240 60999" when more ports are needed.',
        });
      }
    }
    for (const c of w.containers) {
      const reaching = writesReachingNode(w, c);
      const reserved = reaching
        .filter((x) => x.key === RESERVED && x.value !== undefined)
        .flatMap((x) => {
          try {
            return parsePortList(x.value!, RESERVED);
          } catch {
            return [];
          }
        });
      for (const write of reaching.filter((x) => x.key === RANGE)) {
        const range = tryRange(write.value);
        if (!range) continue;
        const overlap = uncoveredOverlap(range, options.nodePortRange, reserved);
        if (overlap.length === 0) continue;
        out.push({
          message: `${describeWorkload(w)}: ${describeContainer(c)} sets the node's ${RANGE} to ${formatRange(range)}, which overlaps the NodePort range ${formatRange(options.nodePortRange)} at ${overlap.map(formatRange).join(', ')}: the node's own connections (kubelet probes, kube-proxy) will take NodePorts as source ports and their replies are captured by Services (failure #2 of docs/failures.md).`,
          position: write.position,
          subject: { container: c.name, sysctl: RANGE, overlap: overlap.map(formatRange).join(',') },
          evidence: [
            ...writeEvidence(w, [write]),
            lineEvidence(w, w.hostNetwork.position, 'the write reaches the node'),
          ],
          remediation: `Keep the ranges disjoint (e.g. "32768 60999"), or also reserve the NodePorts on the node: net.ipv4.ip_local_reserved_ports=${formatRange(options.nodePortRange)}; best, set both in the node's configuration, not from a pod.`,
        });
      }
    }
    return out;
  },
});
