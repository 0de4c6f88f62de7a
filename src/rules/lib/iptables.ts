import type { IptablesSave, NetnsFacts, NodeFacts } from '../../facts/types.js';
import {
  IPVS_MODE_CHAINS,
  KUBE_PROXY_CHAIN_PREFIXES,
  KUBE_PROXY_CHAINS,
  KUBELET_CHAINS,
  type ProxyMode,
} from '../../knowledge/kube-chains.js';
import { optionValues, type IptablesChain, type Ruleset } from '../../parsers/iptables-save.js';
import type { IptablesBackend } from '../../parsers/kube-proxy-info.js';
import type { RestoreFailure } from '../../parsers/kube-proxy-log.js';
import { readLine, type Evidence } from '../../model/finding.js';

type Family = 'IPv4' | 'IPv6';
export const FAMILIES: Family[] = ['IPv4', 'IPv6'];
export const BACKENDS: IptablesBackend[] = ['legacy', 'nft'];

const SAVES: Record<Family, Record<IptablesBackend, IptablesSave>> = {
  IPv4: { legacy: 'iptables-legacy-save', nft: 'iptables-nft-save' },
  IPv6: { legacy: 'ip6tables-legacy-save', nft: 'ip6tables-nft-save' },
};
const RESTORE_COMMAND: Record<Family, string> = { IPv4: 'iptables-restore', IPv6: 'ip6tables-restore' };

/** How users and iptables -V name a backend. */
export function backendName(b: IptablesBackend): string {
  return b === 'nft' ? 'nf_tables' : 'legacy';
}

export function other(b: IptablesBackend): IptablesBackend {
  return b === 'nft' ? 'legacy' : 'nft';
}

export function rulesetOf(netns: NetnsFacts, family: Family, backend: IptablesBackend): Ruleset | undefined {
  return netns.iptables[SAVES[family][backend]];
}

export function isKubeProxyChain(name: string): boolean {
  return KUBE_PROXY_CHAINS.has(name) || KUBE_PROXY_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}

const kubeChainCache = new WeakMap<Ruleset, IptablesChain[]>();

/**
 * The KUBE-* chains of a ruleset, in save order; several rules ask, so the answer is kept per ruleset. Plain
 * loops, not chainsOf().filter(): a ruleset holds up to 120,000 chains, and each array in between was
 * megabytes of garbage.
 */
export function kubeChains(ruleset: Ruleset | undefined): IptablesChain[] {
  if (!ruleset) return [];
  let chains = kubeChainCache.get(ruleset);
  if (!chains) {
    chains = [];
    for (const table of ruleset.tables.values()) {
      // spread, then indexed: a for-of over the map's values made an iterator result per chain
      const all = [...table.chains.values()];
      for (let i = 0; i < all.length; i++) {
        const c = all[i];
        if (c?.name.startsWith('KUBE-')) chains.push(c);
      }
    }
    kubeChainCache.set(ruleset, chains);
  }
  return chains;
}

const kubeProxyChainCache = new WeakMap<Ruleset, IptablesChain[]>();

/** The chains kube-proxy itself makes (isKubeProxyChain), in save order; kept per ruleset like kubeChains. */
function kubeProxyChains(ruleset: Ruleset | undefined): IptablesChain[] {
  if (!ruleset) return [];
  let chains = kubeProxyChainCache.get(ruleset);
  if (!chains) {
    chains = [];
    const kube = kubeChains(ruleset);
    for (let i = 0; i < kube.length; i++) {
      const c = kube[i];
      if (c && isKubeProxyChain(c.name)) chains.push(c);
    }
    kubeProxyChainCache.set(ruleset, chains);
  }
  return chains;
}

/** A chain as evidence: its declaration line exactly as the save command printed it. */
export function chainEvidence(ruleset: Ruleset, chain: IptablesChain): Evidence {
  return readLine(ruleset.source, chain.text, chain.line);
}

export function findChain(ruleset: Ruleset | undefined, name: string, table?: string): IptablesChain | undefined {
  if (!ruleset) return undefined;
  if (table) return ruleset.tables.get(table)?.chains.get(name);
  for (const t of ruleset.tables.values()) {
    const c = t.chains.get(name);
    if (c) return c;
  }
  return undefined;
}

export function restoreFailures(node: NodeFacts, family: Family): RestoreFailure[] {
  return (node.kubeProxyLog?.failures ?? []).filter((f) => f.command === RESTORE_COMMAND[family]);
}

export function logEvidence(node: NodeFacts, failure: RestoreFailure, maxLines = 4): Evidence[] {
  // A failure comes from the kube-proxy log, so the log is there; the fallback names it rather than crash.
  const source = node.kubeProxyLog?.source ?? 'kube-proxy log';
  return failure.lines.slice(0, maxLines).map((l) => readLine(source, l.text, l.line));
}

export interface KubeProxyBackend {
  backend: IptablesBackend;
  /** how it was found, for the message: "kube-proxy's iptables binary", "kube-proxy's log", … */
  how: string;
  evidence: Evidence[];
}

/**
 * The backend kube-proxy writes to, from the best evidence there is: its own iptables binary, then the
 * backend its failed restores name, then the wrapper's choice on these rules, then where its chains are.
 */
export function kubeProxyBackend(node: NodeFacts, netns: NetnsFacts, family: Family): KubeProxyBackend | undefined {
  const info = netns.meta.isHost ? node.kubeProxy : undefined;
  if (info?.backend === 'legacy' || info?.backend === 'nft') {
    const line = info.lines.get('iptables') ?? info.lines.get('backend');
    return {
      backend: info.backend,
      how: "kube-proxy's own iptables binary",
      evidence: line ? [readLine(info.source, line.text, line.line)] : [],
    };
  }
  if (netns.meta.isHost) {
    const named = restoreFailures(node, family).filter((f) => f.backend);
    const last = named[named.length - 1];
    if (last) {
      return {
        backend: last.backend === 'nf_tables' ? 'nft' : 'legacy',
        how: "the backend kube-proxy's failed iptables-restore names",
        evidence: logEvidence(node, last, 2),
      };
    }
  }
  if (info?.backend === 'wrapper') {
    const chosen = wrapperChoice(netns);
    return {
      backend: chosen.backend,
      how: 'the choice iptables-wrapper makes on these rules',
      evidence: chosen.evidence,
    };
  }
  const counts = BACKENDS.map((b) => ({
    b,
    chains: kubeProxyChains(rulesetOf(netns, family, b)),
  }));
  const best = counts.filter((c) => c.chains.length > 0).sort((x, y) => y.chains.length - x.chains.length)[0];
  const chain = best?.chains[0];
  if (!best || !chain) return undefined;
  const ruleset = rulesetOf(netns, family, best.b)!;
  return { backend: best.b, how: "where kube-proxy's chains are", evidence: [chainEvidence(ruleset, chain)] };
}

/** iptables-wrapper: nft when nft's mangle table holds kubelet's hint or canary, else legacy when legacy holds them, else nft. */
function wrapperChoice(netns: NetnsFacts): { backend: IptablesBackend; evidence: Evidence[] } {
  const hint = (r: Ruleset | undefined) =>
    findChain(r, 'KUBE-IPTABLES-HINT', 'mangle') ?? findChain(r, 'KUBE-KUBELET-CANARY', 'mangle');
  for (const backend of ['nft', 'legacy'] as IptablesBackend[]) {
    for (const family of FAMILIES) {
      const r = rulesetOf(netns, family, backend);
      const c = hint(r);
      if (c) return { backend, evidence: [chainEvidence(r!, c)] };
    }
  }
  return { backend: 'nft', evidence: [] };
}

/** kube-proxy's mode: from its command line or log, else from the chains only IPVS mode makes. */
export function proxyMode(node: NodeFacts, netns: NetnsFacts): ProxyMode | undefined {
  const declared = node.kubeProxy?.mode ?? node.kubeProxyLog?.mode?.value;
  if (declared === 'ipvs' || declared === 'iptables') return declared;
  let sawProxyChain = false;
  for (const ruleset of Object.values(netns.iptables)) {
    const chains = kubeChains(ruleset);
    for (let i = 0; i < chains.length; i++) {
      const name = chains[i]?.name ?? '';
      if (IPVS_MODE_CHAINS.has(name)) return 'ipvs';
      if (name.startsWith('KUBE-SVC-') || name.startsWith('KUBE-SEP-')) sawProxyChain = true;
    }
  }
  return sawProxyChain ? 'iptables' : undefined;
}

export function isKubeletChain(name: string): boolean {
  return KUBELET_CHAINS.has(name);
}

/**
 * A Service destination kube-proxy's rules name (`-A KUBE-SERVICES -d IP/32 … --dport PORT -j KUBE-SVC-…`),
 * the kubernetes Service first: what `netdoctor trace --to` can show a finding with.
 */
export function serviceDestination(rulesets: (Ruleset | undefined)[]): string | undefined {
  const found: { dest: string; api: boolean }[] = [];
  for (const r of rulesets) {
    for (const rule of r?.tables.get('nat')?.rules ?? []) {
      if (rule.chain !== 'KUBE-SERVICES' || !rule.target?.startsWith('KUBE-SVC-')) continue;
      const ip = optionValues(rule, '-d')[0]?.value.replace(/\/32$/, '');
      const port = optionValues(rule, '--dport')[0]?.value;
      if (ip && port && /^[\d.]+$/.test(ip) && /^\d+$/.test(port))
        found.push({ dest: `${ip}:${port}`, api: (rule.comment ?? '').startsWith('default/kubernetes') });
    }
  }
  return (found.find((f) => f.api) ?? found[0])?.dest;
}
