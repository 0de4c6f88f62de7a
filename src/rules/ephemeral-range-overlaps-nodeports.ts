import { derived, readLine } from '../model/finding.js';
import { RESERVED_PORTS_KEY } from '../facts/ephemeral.js';
import { knownNodePorts } from '../facts/nodeports.js';
import { formatRange, intersect, subtract, totalSize } from '../model/port-range.js';
import { defineRule } from './define-rule.js';
import { fmt, rangeEvidence, sysctlEvidence } from './lib/evidence.js';
import { at } from '../model/indexing.js';

export default defineRule({
  id: 'ephemeral-range-overlaps-nodeports',
  title: "The node's ephemeral port range overlaps the NodePort range",
  severity: 'error',
  reads: ['net.ipv4.ip_local_port_range'],
  needs: ['sysctls'],
  scope: 'host',
  check({ node, netns }) {
    const eph = netns.ephemeral;
    if (eph.assumed) return [];
    const nodePorts = node.nodePorts.range;
    const overlap = intersect(eph.range, nodePorts);
    const exposed = overlap ? subtract(overlap, eph.reserved) : [];
    // NodePorts Services hold now (kube-proxy's rules), also those outside the range we were told.
    const services = [...knownNodePorts(netns).values()].filter((s) => eph.bitmap[s.port] === 1);
    const outside = services.filter((s) => s.port < nodePorts.lo || s.port > nodePorts.hi);
    if (exposed.length === 0 && outside.length === 0) return [];
    const count = totalSize(exposed) + outside.length;
    const listening = (netns.sockets?.listeners ?? []).filter((l) => l.port >= nodePorts.lo && l.port <= nodePorts.hi);
    const evidence = [
      ...rangeEvidence(netns),
      ...(eph.reserved.length === 0
        ? [sysctlEvidence(netns, RESERVED_PORTS_KEY) ?? derived('sysctl', `${RESERVED_PORTS_KEY} not collected`)]
        : []),
      derived('nodeport range', `${formatRange(nodePorts)} (${node.nodePorts.origin})`),
      derived(
        'overlap',
        `${fmt(count)} NodePort(-range) ports can be picked as source ports: ${[...exposed.map(formatRange), ...outside.map((s) => String(s.port))].join(', ')}`,
      ),
    ];
    for (const s of services.slice(0, 5)) evidence.push(readLine(s.source, s.rule.text, s.rule.line));
    if (services.length > 5)
      evidence.push(
        derived(
          at(services, 0).source,
          `… and ${fmt(services.length - 5)} more Service NodePorts in the ephemeral range`,
        ),
      );
    for (const l of listening.slice(0, 5)) evidence.push(derived(l.source, `NodePort in use: ${l.line}`));
    return [
      {
        message: `The node's ephemeral range ${formatRange(eph.range)} overlaps the NodePort range ${formatRange(nodePorts)} in ${fmt(count)} unreserved ports${
          services.length > 0
            ? `, ${fmt(services.length)} of them NodePorts of live Services (${services
                .slice(0, 3)
                .map((s) => s.port)
                .join(', ')}${services.length > 3 ? ', …' : ''})`
            : ''
        }: the node can pick a NodePort as a source port, and the reply to that connection is then taken by the NodePort Service (kubelet probes fail, nodes flap).`,
        subject: {
          range: formatRange(eph.range),
          nodePorts: formatRange(nodePorts),
          overlap: [...exposed.map(formatRange), ...outside.map((s) => String(s.port))].join(','),
          ...(services.length > 0 ? { serviceNodePorts: services.length } : {}),
        },
        evidence,
        remediation: `Reserve the NodePort range on the node: \`sysctl -w ${RESERVED_PORTS_KEY}=${formatRange(nodePorts)}\` and persist it in /etc/sysctl.d/, or keep ip_local_port_range clear of ${formatRange(nodePorts)}; never change node sysctls from a hostNetwork pod (guard initContainers with [ "$POD_IP" != "$HOST_IP" ]). Verify with \`netdoctor node --rules ephemeral-range-overlaps-nodeports\`.`,
      },
    ];
  },
});
