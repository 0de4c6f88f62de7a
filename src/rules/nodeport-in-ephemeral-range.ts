import { parsePortList, parsePortRange } from '../parsers/port-range.js';
import { KERNEL_DEFAULT_PORT_RANGE, formatRange, intersect, subtract, type PortRange } from '../model/port-range.js';
import type { NodeInfo, ServiceInfo } from '../parsers/k8s-objects.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import { defineClusterRule } from './define-rule.js';
import { fmt } from './lib/evidence.js';

import { RANGE_ANNOTATION, RESERVED_ANNOTATION } from '../model/node-annotations.js';
const SHOWN = 10;

interface NodeRange {
  usable: PortRange[];
  range: PortRange;
  /** the range was not published for this node: the kernel default stands in */
  assumed: boolean;
  evidence: FindingDraft['evidence'];
}

function nodeRange(node: NodeInfo): NodeRange {
  const published = node.annotations[RANGE_ANNOTATION];
  let range = KERNEL_DEFAULT_PORT_RANGE;
  let assumed = true;
  const evidence: FindingDraft['evidence'] = [];
  if (published !== undefined) {
    try {
      range = parsePortRange(published, RANGE_ANNOTATION);
      assumed = false;
      evidence.push(readLine(node.source, `${node.name}: ${RANGE_ANNOTATION}: ${published}`));
    } catch {
      evidence.push(derived(node.source, `${node.name}: ${RANGE_ANNOTATION} "${published}" is not a range`));
    }
  }
  if (assumed)
    evidence.push(
      derived(
        'assumed',
        `${node.name}: no ${RANGE_ANNOTATION} (the agent publishes it): kernel default ${formatRange(range)}`,
      ),
    );
  let reserved: PortRange[] = [];
  const reservedText = node.annotations[RESERVED_ANNOTATION];
  if (reservedText !== undefined) {
    try {
      reserved = parsePortList(reservedText, RESERVED_ANNOTATION);
      evidence.push(readLine(node.source, `${node.name}: ${RESERVED_ANNOTATION}: ${reservedText}`));
    } catch {
      evidence.push(derived(node.source, `${node.name}: ${RESERVED_ANNOTATION} "${reservedText}" is not a port list`));
    }
  }
  return { usable: subtract(range, reserved), range, assumed, evidence };
}

const inRanges = (port: number, ranges: PortRange[]) => ranges.some((r) => port >= r.lo && port <= r.hi);

export default defineClusterRule({
  id: 'nodeport-in-ephemeral-range',
  title: "A Service's NodePort lies in a node's usable ephemeral port range",
  severity: 'error',
  reads: ['Node', 'Service'],
  check({ cluster, nodePortRange, nodePortRangeFrom }) {
    const nodePorts = cluster.services.flatMap((s) =>
      s.ports
        .filter((p) => p.nodePort !== undefined)
        .map((p) => ({ service: s, nodePort: p.nodePort ?? 0, protocol: p.protocol })),
    );
    const out: FindingDraft[] = [];
    for (const node of cluster.nodes) {
      const r = nodeRange(node);
      const hits = nodePorts.filter((p) => inRanges(p.nodePort, r.usable));
      if (hits.length === 0) {
        const overlap = r.usable.flatMap((u) => intersect(u, nodePortRange) ?? []);
        if (overlap.length > 0) out.push(rangeOnly(node, r, overlap, nodePortRange, nodePortRangeFrom));
        continue;
      }
      const names = [...new Set(hits.map((h) => h.service.name))];
      out.push({
        severity: r.assumed ? 'warning' : 'error',
        message:
          `On node ${node.name}, ${fmt(hits.length)} NodePort${hits.length === 1 ? '' : 's'} of ${fmt(names.length)} Service${names.length === 1 ? '' : 's'} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}) ${hits.length === 1 ? 'lies' : 'lie'} in the usable ephemeral range ${formatRange(r.range)}` +
          `${r.assumed ? ' (assumed: the node did not publish its range)' : ''}: an outgoing connection can take such a port as its source port, and while it holds it, traffic to the NodePort on this node goes to that connection or is refused.`,
        subject: {
          node: node.name,
          range: formatRange(r.range),
          nodePorts: hits
            .map((h) => h.nodePort)
            .slice(0, 50)
            .join(','),
          services: names.length,
          ...(r.assumed ? { rangeAssumed: true } : {}),
        },
        evidence: [
          ...r.evidence,
          ...hits
            .slice(0, SHOWN)
            .map((h) => serviceLine(cluster.serviceSources.get(h.service.name), h.service, h.nodePort, h.protocol)),
          ...(hits.length > SHOWN ? [derived('services', `… and ${fmt(hits.length - SHOWN)} more NodePorts`)] : []),
        ],
        remediation: remedy(node.name, nodePortRange),
      });
    }
    return out;
  },
});

function remedy(node: string, nodePortRange: PortRange): string {
  return `Reserve the NodePort range on every node so connect() never picks it: \`sysctl -w net.ipv4.ip_local_reserved_ports=${formatRange(nodePortRange)}\` (persist it in /etc/sysctl.d/), or move the ephemeral range clear of it. Verify with \`netdoctor node\` on ${node}.`;
}

/** No Service holds such a port yet, but the API server may hand one out at any time. */
function rangeOnly(
  node: NodeInfo,
  r: ReturnType<typeof nodeRange>,
  overlap: PortRange[],
  nodePortRange: PortRange,
  from: string,
): FindingDraft {
  const ports = overlap.reduce((n, o) => n + o.hi - o.lo + 1, 0);
  return {
    severity: 'warning',
    message: `On node ${node.name}, the NodePort range ${formatRange(nodePortRange)} overlaps the usable ephemeral range ${formatRange(r.range)}${r.assumed ? ' (assumed: the node did not publish its range)' : ''} at ${overlap.map(formatRange).join(', ')} (${fmt(ports)} ports): no Service holds such a NodePort yet, but the next one allocated there meets the node's own outgoing connections.`,
    subject: {
      node: node.name,
      range: formatRange(r.range),
      nodePortRange: formatRange(nodePortRange),
      overlap: overlap.map(formatRange).join(','),
      ...(r.assumed ? { rangeAssumed: true } : {}),
    },
    evidence: [...r.evidence, derived('NodePort range', `${formatRange(nodePortRange)}: ${from}`)],
    remediation: remedy(node.name, nodePortRange),
  };
}

function serviceLine(source: string | undefined, s: ServiceInfo, nodePort: number, protocol: string) {
  return derived(source ?? 'services', `Service ${s.name}: nodePort ${nodePort}/${protocol}`);
}
