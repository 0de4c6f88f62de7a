import type { Ruleset } from '../parsers/iptables-save.js';
import type { IpvsConns, IpvsTable } from '../parsers/ipvs.js';
import type { IpSets } from '../parsers/ipset-save.js';
import type { RouteTable } from '../parsers/ip-route.js';
import type { ClusterObjects } from '../parsers/k8s-objects.js';
import type { IptablesBackend, KubeProxyInfo } from '../parsers/kube-proxy-info.js';
import type { KubeProxyLog } from '../parsers/kube-proxy-log.js';
import type { KernelLog } from '../parsers/kernel-log.js';
import type { Counters } from '../parsers/proc-net-counters.js';
import type { PortRange } from '../model/port-range.js';
import type { ByteOrder, SocketTable } from '../parsers/proc-net-tcp.js';
import type { SsListener } from '../parsers/ss-listeners.js';
import type { Sysctls } from '../parsers/sysctl.js';

/** What the machine told about a network namespace: who lives in it. */
export interface NetnsMeta {
  /** "host" for the node's own namespace; else the pod uid, or "netns-<inode>" */
  id: string;
  isHost?: boolean;
  inode?: number;
  pid?: number;
  /** the process command that names it when no pod does */
  command?: string;
  /** a name from /run/netns (ip netns add) */
  name?: string;
  pod?: string;
  namespace?: string;
  podUid?: string;
  container?: string;
}

export interface EphemeralPorts {
  range: PortRange;
  reserved: PortRange[];
  /** ports of the range that connect() may pick: range minus reserved */
  usable: number;
  /** 1 per port connect() may pick */
  bitmap: Uint8Array;
  /** the range was not collected: the kernel default stands in */
  assumed: boolean;
}

export interface CounterSamples {
  netstat?: Counters;
  snmp?: Counters;
  sockstat?: Counters;
  conntrack?: Counters;
}

/** The four iptables-save flavours collected per namespace; each sees only its own backend's rules. */
export const IPTABLES_SAVES = [
  'iptables-legacy-save',
  'iptables-nft-save',
  'ip6tables-legacy-save',
  'ip6tables-nft-save',
] as const;
export type IptablesSave = (typeof IPTABLES_SAVES)[number];

export interface NetnsFacts {
  meta: NetnsMeta;
  sysctls?: Sysctls;
  /**
   * the sysctls read are the collector's set or `sysctl -a`: a key missing from them is missing from the
   * kernel. A pasted single value or sysctl.conf excerpt is partial: a missing key was just not given.
   */
  sysctlsComplete?: boolean;
  ephemeral: EphemeralPorts;
  sockets?: SocketTable;
  /** listeners as `ss -ltn` shows them, with their backlog */
  ssListeners?: SsListener[];
  /** rulesets by the save command that printed them */
  iptables: Partial<Record<IptablesSave, Ruleset>>;
  /** the IPVS table (/proc/net/ip_vs or ipvsadm -Ln), its second sample, and the connection entries, counted */
  ipvs: { table?: IpvsTable; later?: IpvsTable; conns?: IpvsConns };
  /** `ip route show table all` and `ip -6 route show table all`, one table of both families (the trace's last hop) */
  routes?: RouteTable;
  /** `ipset save`: the sets `-m set` rules match against (kube-proxy's IPVS mode) */
  ipsets?: IpSets;
  first: CounterSamples;
  /** the second sample, `intervalMs` after the first; absent with --interval 0 */
  later: CounterSamples;
  /** artefact (path relative to netns/<id>/) → why it is missing or unusable */
  problems: Map<string, string>;
  /** artefact → why this namespace has no such thing (no IPVS in the kernel): rules needing it do not apply */
  absent: Map<string, string>;
}

export interface NodeFacts {
  target: { kind: 'node' | 'bundle'; name: string };
  hostname: string;
  createdAt: string;
  kernelRelease?: string;
  osRelease?: string;
  intervalMs: number;
  byteOrder: ByteOrder;
  nodePorts: { range: PortRange; origin: string };
  /** `iptables -V` on the host: the backend kubelet and anything else on the host writes to */
  iptablesVersion?: { backend: IptablesBackend; text: string };
  kubeProxy?: KubeProxyInfo;
  kubeProxyLog?: KubeProxyLog;
  /** the kernel's log (dmesg), where conntrack says it dropped packets */
  kernelLog?: KernelLog;
  /** Services and their endpoints, from k8s/*.json in a bundle */
  cluster?: ClusterObjects;
  netns: NetnsFacts[];
  /** bundle path of a host-level artefact (or a namespace that could not be read) → why it is missing */
  problems: Map<string, string>;
  /** bundle path of a host-level artefact → why the machine has no such thing (no kube-proxy runs here) */
  absent: Map<string, string>;
  /** sentences about the run as a whole (not root: only one namespace read), shown before the findings */
  notes: string[];
}

/** Every artefact that could not be collected or parsed, by bundle path. */
export function collectionProblems(facts: NodeFacts): { artefact: string; reason: string }[] {
  const out = [...facts.problems].map(([artefact, reason]) => ({ artefact, reason }));
  for (const ns of facts.netns) {
    for (const [file, reason] of ns.problems) out.push({ artefact: `netns/${ns.meta.id}/${file}`, reason });
  }
  return out;
}
