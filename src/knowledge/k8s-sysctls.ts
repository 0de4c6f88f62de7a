import { atLeast, majorMinor } from './versions.js';

/**
 * The sysctls kubelet allows in securityContext.sysctls without --allowed-unsafe-sysctls, with the minor
 * version that added each. Source: kubelet pkg/kubelet/sysctl/safe_sysctls.go and the kubernetes.io page
 * "Using sysctls in a Kubernetes Cluster" (FACTS.md §3).
 */
const SAFE_SYSCTLS: { name: string; since: [number, number] }[] = [
  { name: 'kernel.shm_rmid_forced', since: [1, 11] },
  { name: 'net.ipv4.ip_local_port_range', since: [1, 11] },
  { name: 'net.ipv4.tcp_syncookies', since: [1, 11] },
  { name: 'net.ipv4.ping_group_range', since: [1, 18] },
  { name: 'net.ipv4.ip_unprivileged_port_start', since: [1, 22] },
  { name: 'net.ipv4.ip_local_reserved_ports', since: [1, 27] },
  { name: 'net.ipv4.tcp_keepalive_time', since: [1, 29] },
  { name: 'net.ipv4.tcp_fin_timeout', since: [1, 29] },
  { name: 'net.ipv4.tcp_keepalive_intvl', since: [1, 29] },
  { name: 'net.ipv4.tcp_keepalive_probes', since: [1, 29] },
  { name: 'net.ipv4.tcp_rmem', since: [1, 32] },
  { name: 'net.ipv4.tcp_wmem', since: [1, 32] },
];

/** The newest minor version the table above knows; `--k8s-version` defaults to it. */
export const NEWEST_KNOWN_K8S: [number, number] = [1, 32];

export function parseK8sVersion(text: string): [number, number] | undefined {
  return majorMinor(text.trim());
}

export function isSafeSysctl(name: string, version: [number, number]): boolean {
  const canonical = canonicalSysctl(name);
  return SAFE_SYSCTLS.some((s) => s.name === canonical && atLeast(version, s.since));
}

/** The version a sysctl became safe in, if it ever did (to say "safe from 1.29" when linting for 1.28). */
export function safeSince(name: string): [number, number] | undefined {
  const canonical = canonicalSysctl(name);
  return SAFE_SYSCTLS.find((s) => s.name === canonical)?.since;
}

/** kubelet accepts both "net.ipv4.ip_local_port_range" and "net/ipv4/ip_local_port_range". */
export function canonicalSysctl(name: string): string {
  return name.includes('/') ? name.replace(/^\/?(proc\/sys\/)?/, '').replaceAll('/', '.') : name;
}

/**
 * net.* sysctls that no network namespace but the first has: writing one changes every namespace on the
 * node. Read off Linux 6.18 on this project's machines (entries in /proc/sys/net/{core,ipv4} of the host
 * but absent in a new netns); older kernels have more (net.core.rmem_max and wmem_max are per netns on 6.18 but were not always),
 * so this is the floor, not the ceiling. Source: net/core/sysctl_net_core.c (net_core_table vs
 * netns_core_table), net/ipv4/sysctl_net_ipv4.c (ipv4_table vs ipv4_net_table).
 */
const NODE_WIDE_NET_SYSCTLS = new Set([
  ...[
    'busy_poll',
    'busy_read',
    'default_qdisc',
    'dev_weight',
    'netdev_budget',
    'netdev_budget_usecs',
    'netdev_max_backlog',
    'rps_sock_flow_entries',
    'message_burst',
    'message_cost',
  ].map((s) => `net.core.${s}`),
  ...['tcp_mem', 'udp_mem', 'tcp_max_orphans', 'tcp_low_latency', 'inet_peer_threshold'].map((s) => `net.ipv4.${s}`),
  'net.netfilter.nf_conntrack_max',
  'net.nf_conntrack_max',
]);

/** Whether a sysctl lives in the pod's network namespace (kubelet: net.* is namespaced, with exceptions). */
export function isNodeWideNetSysctl(name: string): boolean {
  return NODE_WIDE_NET_SYSCTLS.has(canonicalSysctl(name));
}

/**
 * The namespaced groups kubelet accepts as unsafe sysctls (pkg/kubelet/sysctl/namespace.go): IPC
 * (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) and net.*. Anything else is refused outright.
 */
export function kubeletNamespaceOf(name: string): 'ipc' | 'net' | undefined {
  const n = canonicalSysctl(name);
  if (n.startsWith('net.')) return 'net';
  if (/^kernel\.(shm|msg)/.test(n) || n === 'kernel.sem' || n.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}
