import { IPVS_ANNOTATION, parseIpvsAnnotation } from '../model/node-annotations.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import type { ClusterObjects, NodeInfo, ServiceInfo } from '../parsers/k8s-objects.js';
import { defineClusterRule } from './define-rule.js';
import { endpointKey } from '../model/address.js';

const SHOWN = 5;

/** "10.96.0.10:53/UDP" → the Service whose ClusterIP, port and protocol these are. */
function servicesByVirtual(services: ServiceInfo[]): Map<string, ServiceInfo> {
  const out = new Map<string, ServiceInfo>();
  for (const s of services)
    for (const ip of s.clusterIPs)
      for (const p of s.ports) out.set(`${endpointKey(ip, p.port)}/${p.protocol.toUpperCase()}`, s);
  return out;
}

const published = (cluster: ClusterObjects) =>
  cluster.nodes.filter((n) => n.annotations[IPVS_ANNOTATION] !== undefined);

export default defineClusterRule({
  id: 'ipvs-real-server-not-endpoint',
  title: "IPVS on a node sends new connections to a real server that is not one of the Service's endpoints",
  severity: 'error',
  reads: ['Node', 'Service'],
  notChecked({ cluster }) {
    if (published(cluster).length === 0)
      return `no Node carries ${IPVS_ANNOTATION} (the agent publishes it where kube-proxy runs in IPVS mode)`;
    if (cluster.endpoints.size === 0)
      return 'no EndpointSlices (or Endpoints) were read: kubectl get endpointslices -A -o json > DIR/endpointslices.json';
    return undefined;
  },
  check({ cluster }) {
    const byVirtual = servicesByVirtual(cluster.services);
    const out: FindingDraft[] = [];
    for (const node of published(cluster)) out.push(...nodeFindings(node, cluster, byVirtual));
    return out;
  },
});

function nodeFindings(node: NodeInfo, cluster: ClusterObjects, byVirtual: Map<string, ServiceInfo>): FindingDraft[] {
  const { services, cut } = parseIpvsAnnotation(node.annotations[IPVS_ANNOTATION] ?? '');
  const out: FindingDraft[] = [];
  for (const [virtual, reals] of services) {
    const svc = byVirtual.get(virtual);
    // a virtual service no Service owns (a NodePort on a node address, an external IP) is not judged here
    if (!svc) continue;
    const endpoints = cluster.endpoints.get(svc.name);
    if (!endpoints) continue; // the Service's endpoints were not read: nothing to compare with
    const strays = reals.filter((r) => !endpoints.has(r));
    if (strays.length === 0) continue;
    const shownEndpoints = [...endpoints].slice(0, SHOWN);
    out.push({
      message: `On node ${node.name}, IPVS sends new connections for Service ${svc.name} (${virtual}) to ${strays.slice(0, SHOWN).join(', ')}${strays.length > SHOWN ? ', …' : ''}, which ${strays.length === 1 ? 'is' : 'are'} not among its endpoints: connections that land there fail or reach a pod that is gone (kube-proxy did not sync this node's IPVS table, failure #4 of docs/failures.md).`,
      subject: { node: node.name, service: svc.name, virtual, strays: strays.length },
      evidence: [
        readLine(node.source, `${node.name}: ${IPVS_ANNOTATION}: ${virtual}=${reals.join(',')}`),
        derived(
          cluster.sources.get(svc.name) ?? 'endpointslices',
          `Service ${svc.name} endpoints: ${shownEndpoints.join(', ') || 'none'}${endpoints.size > SHOWN ? ', …' : ''}`,
        ),
        ...(cut
          ? [derived(node.source, `${node.name}: the published list was cut; services after the cut were not compared`)]
          : []),
      ],
      remediation: `Look at kube-proxy on ${node.name} (\`kubectl -n kube-system get pods -l k8s-app=kube-proxy --field-selector spec.nodeName=${node.name}\`, then its log for sync errors) and restart it there if it stopped syncing; \`kubectl netdoctor node ${node.name}\` shows the table and its connection entries (ipvs-stale-real-server). Verify with \`ipvsadm -Ln -t ${virtual.split('/')[0] ?? virtual}\` on the node listing only the endpoints.`,
    });
  }
  return out;
}
