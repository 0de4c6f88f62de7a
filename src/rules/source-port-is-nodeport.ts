import { formatRange } from '../parsers/port-range.js';
import { defineRule } from './define-rule.js';
import { fmt } from './lib/evidence.js';

const SHOWN = 10;

export default defineRule({
  id: 'source-port-is-nodeport',
  title: 'A connection from the node uses a NodePort as its source port',
  severity: 'warning',
  needs: ['sockets'],
  scope: 'host',
  check({ node, netns }) {
    const sockets = netns.sockets!;
    const nodePorts = node.nodePorts.range;
    // Accepted connections share their listener's local port: those are servers, not source ports.
    const listening = new Set(sockets.listeners.map((l) => l.port));
    const hits: number[] = [];
    for (let p = nodePorts.lo; p <= nodePorts.hi; p++) {
      if (sockets.localPortUse[p] > 0 && !listening.has(p)) hits.push(p);
    }
    if (hits.length === 0) return [];
    const socketCount = hits.reduce((n, p) => n + sockets.localPortUse[p], 0);
    const evidence = hits.slice(0, SHOWN).map((p) => {
      const s = sockets.watchedSamples.get(p);
      return { source: s?.source ?? '/proc/net/tcp', detail: s ? `source port ${p} → ${s.remote}: ${s.line}` : `source port ${p}` };
    });
    if (hits.length > SHOWN) evidence.push({ source: '/proc/net/tcp', detail: `… and ${fmt(hits.length - SHOWN)} more ports` });
    evidence.push({ source: 'nodeport range', detail: `${formatRange(nodePorts)} (${node.nodePorts.origin})` });
    return [
      {
        message: `${fmt(socketCount)} connection(s) from the node use source ports in the NodePort range ${formatRange(nodePorts)} (${hits.slice(0, 5).join(', ')}${hits.length > 5 ? ', …' : ''}): if a Service owns that NodePort, kube-proxy takes the replies and the connection hangs.`,
        subject: { ports: hits.slice(0, SHOWN).join(','), sockets: socketCount },
        evidence,
        remediation: `Reserve the NodePort range so the kernel stops picking it: \`sysctl -w net.ipv4.ip_local_reserved_ports=${formatRange(nodePorts)}\` (persist in /etc/sysctl.d/). Existing connections keep their ports until they close. Verify with \`ss -tan sport ge :${nodePorts.lo} sport le :${nodePorts.hi}\`.`,
      },
    ];
  },
});
