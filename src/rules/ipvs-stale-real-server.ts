import { majorMinor } from '../knowledge/versions.js';
import { type DestinationConns, type RealServer, type VirtualService } from '../parsers/ipvs.js';
import type { ClusterObjects } from '../parsers/k8s-objects.js';
import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, type NodeRuleContext } from './define-rule.js';
import { readLine, derived, type Evidence, type FindingDraft } from '../model/finding.js';
import { fmt, sysctlEvidence } from './lib/evidence.js';
import { endpointKey } from '../model/address.js';

/** A SYN pinned to a weight-0 real server: the entry was reused for a new handshake. */
const NEW_HANDSHAKE = ['SYN_RECV', 'SYN_SENT', 'SYNACK'];

export default defineRule({
  id: 'ipvs-stale-real-server',
  title: 'IPVS keeps sending traffic to a real server that was removed (weight 0)',
  severity: 'error',
  needs: ['ipvs'],
  scope: 'host',
  check({ node, netns }) {
    const { table } = netns.ipvs;
    const out: FindingDraft[] = [];
    for (const svc of table.services) {
      const k8s = node.cluster ? serviceOf(svc, node.cluster) : undefined;
      for (const real of svc.reals) {
        const key = endpointKey(real.address, real.port);
        const notEndpoint = k8s && !k8s.endpoints.has(key) ? k8s : undefined;
        if (notEndpoint && real.weight !== 0) out.push(notAnEndpoint(svc, real, key, notEndpoint, table.source));
        else if (real.weight === 0) {
          const finding = drained({ node, netns }, svc, real, key, notEndpoint);
          if (finding) out.push(finding);
        }
      }
    }
    return out;
  },
});

type IpvsContext = NodeRuleContext<'ipvs'>;

const heldBy = (real: RealServer) => (real.active ?? 0) + (real.inactive ?? 0);

/** A weight-0 real server that still holds connections or connection entries: the finding, or nothing. */
function drained(
  { node, netns }: IpvsContext,
  svc: VirtualService,
  real: RealServer,
  key: string,
  notEndpoint: K8sService | undefined,
): FindingDraft | undefined {
  const { table, conns } = netns.ipvs;
  const held = heldBy(real);
  const entries = conns?.byDestination.get(key);
  if (held === 0 && !entries) return undefined;
  const pinned = NEW_HANDSHAKE.reduce((n, s) => n + (entries?.byState[s] ?? 0), 0);
  const reuseMode = netns.sysctls ? sysctlNumber(netns.sysctls, 'net.ipv4.vs.conn_reuse_mode') : undefined;
  const risk = reuseRisk(reuseMode, node.kernelRelease, held);
  const evidence: Evidence[] = [
    readLine(table.source, svc.text, svc.line),
    readLine(table.source, real.text, real.line),
    ...laterSample({ node, netns }, svc, key, held),
    ...connectionEntries(conns?.source ?? 'ip_vs_conn', key, entries),
    ...(notEndpoint
      ? [
          derived(
            notEndpoint.source,
            `${key} is not an endpoint of Service ${notEndpoint.name} (endpoints: ${[...notEndpoint.endpoints].slice(0, 5).join(', ') || 'none'})`,
          ),
        ]
      : []),
    ...[
      sysctlEvidence(netns, 'net.ipv4.vs.conn_reuse_mode'),
      sysctlEvidence(netns, 'net.ipv4.vs.expire_nodest_conn'),
      node.kernelRelease ? readLine('uname -r', node.kernelRelease) : undefined,
      risk.because ? derived('judgement', risk.because) : undefined,
      // the trace shows the virtual service's real servers, this one marked draining, and its entries
      svc.key.startsWith('FWM') ? undefined : derived('see it', `netdoctor trace --to ${svc.key}`),
    ].filter((e) => e !== undefined),
  ];
  return {
    severity: pinned > 0 ? 'error' : risk.likely ? 'warning' : 'info',
    message: message(svc, key, held, pinned, reuseMode, entries?.maxExpires, risk.likely),
    subject: {
      service: svc.key,
      realServer: key,
      weight: 0,
      connections: held,
      ...(pinned > 0 ? { newHandshakes: pinned } : {}),
    },
    evidence,
    remediation: remediation(node.kernelRelease),
  };
}

/** The same real server in the second sample: still weight 0, and how its connections moved. */
function laterSample({ node, netns }: IpvsContext, svc: VirtualService, key: string, held: number): Evidence[] {
  const { table, later } = netns.ipvs;
  const stillThere = later ? findReal(later.services, svc.key, key) : undefined;
  if (!stillThere) return [];
  return [
    readLine(later?.source ?? table.source, stillThere.text, stillThere.line),
    derived(
      'samples',
      `weight 0 in both samples ${(node.intervalMs / 1000).toFixed(1)} s apart; connections ${fmt(held)} → ${fmt(heldBy(stillThere))}`,
    ),
  ];
}

/** The connection-table entries toward the real server, by state, and a sample of each new handshake. */
function connectionEntries(source: string, key: string, entries: DestinationConns | undefined): Evidence[] {
  if (!entries) return [];
  const states = Object.entries(entries.byState)
    .map(([s, n]) => `${s} ${fmt(n)}`)
    .join(', ');
  const out: Evidence[] = [
    derived(
      source,
      `${fmt(entries.total)} ${entries.total === 1 ? 'entry' : 'entries'} toward ${key}: ${states}; the last expires in ${fmt(entries.maxExpires)} s`,
    ),
  ];
  for (const s of NEW_HANDSHAKE) {
    const sample = entries.samples.get(s);
    if (sample) out.push(readLine(source, sample.text, sample.line));
  }
  return out;
}

interface K8sService {
  name: string;
  endpoints: Set<string>;
  source: string;
}

/** The Service an IPVS virtual service stands for: its cluster IP and port, or its NodePort. */
function serviceOf(svc: VirtualService, cluster: ClusterObjects): K8sService | undefined {
  if (svc.address === undefined || svc.port === undefined) return undefined;
  for (const s of cluster.services) {
    const byClusterIp =
      s.clusterIPs.includes(svc.address) && s.ports.some((p) => p.port === svc.port && p.protocol === svc.protocol);
    const byNodePort = s.ports.some((p) => p.nodePort === svc.port && p.protocol === svc.protocol);
    const endpoints = cluster.endpoints.get(s.name);
    if ((byClusterIp || byNodePort) && endpoints)
      return { name: s.name, endpoints, source: cluster.sources.get(s.name) ?? 'k8s' };
  }
  return undefined;
}

function notAnEndpoint(
  svc: VirtualService,
  real: RealServer,
  key: string,
  k8s: K8sService,
  source: string,
): FindingDraft {
  return {
    message: `IPVS service ${svc.key} sends traffic to ${key} (weight ${real.weight ?? '?'}), which is not an endpoint of Service ${k8s.name}: kube-proxy has not synced IPVS with the Endpoints, so a share of the requests goes to a pod that is gone or not ready.`,
    subject: {
      service: svc.key,
      realServer: key,
      k8sService: k8s.name,
      ...(real.weight !== undefined ? { weight: real.weight } : {}),
    },
    evidence: [
      readLine(source, svc.text, svc.line),
      readLine(source, real.text, real.line),
      derived(k8s.source, `endpoints of ${k8s.name}: ${[...k8s.endpoints].slice(0, 8).join(', ') || 'none'}`),
    ],
    remediation: `Check kube-proxy's log for sync errors and restart it so it rebuilds the IPVS table from the Endpoints; remove the stray real server at once with \`ipvsadm -d -t ${svc.key} -r ${key}\`. Verify with \`ipvsadm -Ln -t ${svc.key}\` against \`kubectl get endpointslices -l kubernetes.io/service-name=${k8s.name.split('/')[1]} -n ${k8s.name.split('/')[0]}\`.`,
  };
}

function findReal(services: VirtualService[], svcKey: string, realKey: string): RealServer | undefined {
  const svc = services.find((s) => s.key === svcKey);
  return svc?.reals.find((r) => r.weight === 0 && endpointKey(r.address, r.port) === realKey);
}

/** Entries toward one real server from which a busy client's source-port reuse becomes likely. */
const BUSY_ENTRIES = 1000;

/**
 * Whether a new connection may land on the weight-0 server: conn_reuse_mode=0 sends any reused 5-tuple
 * there; when the mode was not read, kube-proxy set it to 0 on kernels before 5.9 (PR #71114), and
 * thousands of entries (short connections in TIME_WAIT) mean busy clients that do reuse source ports.
 */
function reuseRisk(
  reuseMode: number | undefined,
  kernelRelease: string | undefined,
  held: number,
): { likely: boolean; because?: string } {
  if (reuseMode === 0) return { likely: true };
  if (reuseMode !== undefined) return { likely: false };
  const v = majorMinor(kernelRelease);
  const fixedKernel = v !== undefined && (v[0] > 5 || (v[0] === 5 && v[1] >= 9));
  if (fixedKernel || held < BUSY_ENTRIES) return { likely: false };
  return {
    likely: true,
    because: `conn_reuse_mode was not read${v ? '' : ' and neither was the kernel version'}: kube-proxy sets it to 0 on kernels before 5.9, and ${fmt(held)} entries toward this server mean clients busy enough to reuse source ports`,
  };
}

function message(
  svc: VirtualService,
  key: string,
  held: number,
  pinned: number,
  reuseMode: number | undefined,
  maxExpires: number | undefined,
  likely = false,
): string {
  const base = `IPVS service ${svc.key} keeps real server ${key} at weight 0 (a removed endpoint, e.g. a pod deleted in a rolling update) with ${fmt(held)} connection(s)`;
  if (pinned > 0) {
    return `${base}, and ${fmt(pinned)} new handshake(s) were sent to it: a client reused a source port of an old connection entry, IPVS matched the entry and forwarded the SYN to the deleted pod (502s / "No route to host" until the entry expires${maxExpires ? `, up to ${fmt(maxExpires)} s` : ''}).`;
  }
  if (reuseMode === 0) {
    return `${base}; with conn_reuse_mode=0 any client that reuses a source port of those entries is sent to it (502s / "No route to host") until they expire.`;
  }
  if (likely) {
    return `${base}; that many entries mean busy clients, and unless conn_reuse_mode is 1 on a 5.9+ kernel, a client that reuses a source port of one of them is sent to the removed pod (502s / "No route to host") until the entries expire.`;
  }
  return `${base}: kube-proxy drains it and deletes it once the connections are gone.`;
}

function remediation(kernelRelease: string | undefined): string {
  const v = majorMinor(kernelRelease);
  const kernel = v ? ` (this node runs ${v.join('.')})` : '';
  return `Let IPVS stop matching old entries: kernel 5.9 fixed the SYN delay that made kube-proxy choose conn_reuse_mode=0${kernel}; there set \`sysctl -w net.ipv4.vs.conn_reuse_mode=1\` and \`sysctl -w net.ipv4.vs.expire_nodest_conn=1\` (kube-proxy 1.22+ leaves them alone on 5.9+). On older kernels, remove weight-0 real servers when Endpoints change (\`ipvsadm -d -t VIP:PORT -r POD:PORT\`, as the incident's authors did with a DaemonSet), at the cost of resetting the old pod's in-flight connections instead of draining them. Verify with \`ipvsadm -Ln | grep ' 0 '\` showing no weight-0 real servers with connections.`;
}
