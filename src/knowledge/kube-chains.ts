/**
 * Who creates which KUBE-* iptables chain, and which chains kube-proxy's rules need (FACTS.md §4).
 * Sources: KEP-3178 (iptables chain ownership cleanup), kubernetes PR #82214 (IPVS mode creates
 * KUBE-MARK-DROP itself), pkg/proxy/iptables/proxier.go and pkg/kubelet/kubelet_network_linux.go.
 */
import { atLeast, majorMinor } from './versions.js';

export type ProxyMode = 'iptables' | 'ipvs';

/** Chains kubelet creates in the host's default backend (the host's `iptables`). */
export const KUBELET_CHAINS = new Set(['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY', 'KUBE-FIREWALL', 'KUBE-MARK-DROP']);

/** Chains only kube-proxy creates: where they are, kube-proxy writes. */
export const KUBE_PROXY_CHAINS = new Set([
  'KUBE-SERVICES',
  'KUBE-NODEPORTS',
  'KUBE-EXTERNAL-SERVICES',
  'KUBE-FORWARD',
  'KUBE-PROXY-FIREWALL',
  'KUBE-PROXY-CANARY',
  'KUBE-NODE-PORT',
  'KUBE-LOAD-BALANCER',
  'KUBE-IPVS-FILTER',
]);
export const KUBE_PROXY_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-', 'KUBE-XLB-'];

/** Chains that only IPVS mode has. */
export const IPVS_MODE_CHAINS = new Set(['KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-IPVS-FILTER']);

export interface RequiredChain {
  chain: string;
  table: string;
  modes: ProxyMode[];
  /** who creates it: a kubelet chain is missing when kubelet wrote to the other backend */
  createdBy: 'kubelet' | 'kube-proxy';
  /** kube-proxy versions below this one need it (KUBE-MARK-DROP: until 1.25); absent = every version */
  neededBefore?: [number, number];
  why: string;
}

export const REQUIRED_CHAINS: RequiredChain[] = [
  {
    chain: 'KUBE-MARK-DROP',
    table: 'nat',
    modes: ['iptables', 'ipvs'],
    createdBy: 'kubelet',
    neededBefore: [1, 25],
    why: 'kube-proxy before 1.25 jumps to it (Services without local endpoints, load-balancer source ranges) but kubelet creates it',
  },
  {
    chain: 'KUBE-MARK-MASQ',
    table: 'nat',
    modes: ['iptables', 'ipvs'],
    createdBy: 'kube-proxy',
    why: 'every Service rule that needs SNAT jumps to it; kube-proxy writes it in each iptables-restore',
  },
  {
    chain: 'KUBE-POSTROUTING',
    table: 'nat',
    modes: ['iptables', 'ipvs'],
    createdBy: 'kube-proxy',
    why: 'it performs the MASQUERADE for marked packets',
  },
  {
    chain: 'KUBE-NODEPORTS',
    table: 'nat',
    modes: ['iptables'],
    createdBy: 'kube-proxy',
    why: 'KUBE-SERVICES ends with a jump to it; kube-proxy writes it in each iptables-restore',
  },
  {
    chain: 'KUBE-NODE-PORT',
    table: 'nat',
    modes: ['ipvs'],
    createdBy: 'kube-proxy',
    why: 'IPVS-mode NodePorts are matched there; kube-proxy writes it in each iptables-restore',
  },
];

/** "v1.13.10" → [1, 13]; undefined for what does not look like a version. */
export function minorVersion(version: string | undefined): [number, number] | undefined {
  return majorMinor(version);
}

export function versionBefore(v: [number, number], limit: [number, number]): boolean {
  return !atLeast(v, limit);
}
