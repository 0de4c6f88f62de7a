import { knownNodePorts } from '../facts/nodeports.js';
import { formatRange } from '../model/port-range.js';
import { defineRule } from './define-rule.js';
import { derived, readLine, type Evidence } from '../model/finding.js';
import { fmt } from './lib/evidence.js';

const SHOWN = 10;

export default defineRule({
  id: 'source-port-is-nodeport',
  title: 'A connection from the node uses a NodePort as its source port',
  // error when a Service's NodePort (from kube-proxy's rules) is taken; a port that is merely in the range is a warning
  severity: 'error',
  needs: ['sockets'],
  scope: 'host',
  check({ node, netns }) {
    const sockets = netns.sockets;
    const nodePorts = node.nodePorts.range;
    const services = knownNodePorts(netns);
    // Accepted connections share their listener's local port: those are servers, not source ports.
    const listening = new Set(sockets.listeners.map((l) => l.port));
    const candidates = new Set<number>(services.keys());
    for (let p = nodePorts.lo; p <= nodePorts.hi; p++) candidates.add(p);
    // Ports a Service owns first: those connections are broken now, not merely at risk.
    const hits = [...candidates]
      .filter((p) => sockets.localPortUse.count(p) > 0 && !listening.has(p))
      .sort((a, b) => Number(services.has(b)) - Number(services.has(a)) || a - b);
    if (hits.length === 0) return [];
    const owned = hits.filter((p) => services.has(p));
    const socketCount = hits.reduce((n, p) => n + sockets.localPortUse.count(p), 0);
    const evidence: Evidence[] = [];
    for (const p of hits.slice(0, SHOWN)) {
      const s = sockets.watchedSamples.get(p);
      evidence.push(
        derived(s?.source ?? '/proc/net/tcp', s ? `source port ${p} → ${s.remote}: ${s.line}` : `source port ${p}`),
      );
      const svc = services.get(p);
      if (svc) evidence.push(readLine(svc.source, svc.rule.text, svc.rule.line));
    }
    if (hits.length > SHOWN) evidence.push(derived('/proc/net/tcp', `… and ${fmt(hits.length - SHOWN)} more ports`));
    evidence.push(derived('nodeport range', `${formatRange(nodePorts)} (${node.nodePorts.origin})`));
    if (services.size > 0)
      evidence.push(derived('KUBE-NODEPORTS', `${fmt(services.size)} NodePort(s) in kube-proxy's rules`));
    // the trace shows where traffic arriving on that NodePort goes while the socket holds the port
    if (owned[0] !== undefined)
      evidence.push(derived('see it', `netdoctor trace --to NODE_IP:${owned[0]} --arriving --local-address NODE_IP`));
    const ownedText = owned.map((p) => {
      const service = services.get(p)?.service;
      return service ? `${p} (${service})` : `${p}`;
    });
    const reserve = reservedList(
      nodePorts,
      [...services.keys()].filter((p) => p < nodePorts.lo || p > nodePorts.hi),
    );
    return [
      {
        severity: owned.length > 0 ? 'error' : 'warning',
        message:
          owned.length > 0
            ? `${fmt(socketCount)} connection(s) from the node use source ports that are NodePorts of Services: ${ownedText.slice(0, 5).join(', ')}${owned.length > 5 ? ', …' : ''}. kube-proxy takes the replies to these connections for the Service, so they hang (kubelet probes fail, nodes flap).`
            : `${fmt(socketCount)} connection(s) from the node use source ports in the NodePort range ${formatRange(nodePorts)} (${hits.slice(0, 5).join(', ')}${hits.length > 5 ? ', …' : ''}): if a Service owns that NodePort, kube-proxy takes the replies and the connection hangs.`,
        subject: {
          ports: hits.slice(0, SHOWN).join(','),
          sockets: socketCount,
          ...(owned.length > 0 ? { nodePorts: owned.slice(0, SHOWN).join(',') } : {}),
        },
        evidence,
        remediation: `Reserve the NodePort range so the kernel stops picking it: \`sysctl -w net.ipv4.ip_local_reserved_ports=${reserve}\` (persist in /etc/sysctl.d/). Existing connections keep their ports until they close. Verify with \`ss -tan sport ge :${nodePorts.lo} sport le :${nodePorts.hi}\`.`,
      },
    ];
  },
});

/** The NodePort range plus any NodePort outside it, as ip_local_reserved_ports takes them. */
function reservedList(range: { lo: number; hi: number }, outside: number[]): string {
  return [formatRange(range), ...outside.sort((a, b) => a - b).map(String)].join(',');
}
