import type { NetnsFacts, NodeFacts } from '../facts/types.js';
import { defineRule } from './define-rule.js';
import { readLine, type Evidence, type FindingDraft } from '../model/finding.js';
import { capped } from './lib/evidence.js';
import {
  FAMILIES,
  backendName,
  chainEvidence,
  isKubeProxyChain,
  isKubeletChain,
  kubeChains,
  kubeProxyBackend,
  rulesetOf,
} from './lib/iptables.js';

const SHOWN = 6;

const REMEDIATION =
  "Put kubelet and kube-proxy on one iptables backend: run a kube-proxy image that detects the backend (Kubernetes 1.17+ images ship iptables-wrapper, which follows kubelet's KUBE-IPTABLES-HINT chain), or switch the host to the backend kube-proxy uses (`update-alternatives --set iptables /usr/sbin/iptables-legacy` and `update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy`, or the -nft pair). Then reboot the node, or restart kubelet and kube-proxy and delete the KUBE-* chains left in the other backend, so that only one ruleset remains. Verify with `iptables-legacy-save | grep -c KUBE-` and `iptables-nft-save | grep -c KUBE-`: one of them must be 0.";

export default defineRule({
  id: 'iptables-backend-split',
  title: 'Kubernetes iptables rules are split between the legacy and nf_tables backends',
  severity: 'error',
  needs: ['iptables'],
  scope: 'netns',
  check({ node, netns }) {
    const out: FindingDraft[] = [];
    const kubeProxy = kubeProxyBackend(node, netns, 'IPv4');
    for (const family of FAMILIES) {
      const legacy = kubeChains(rulesetOf(netns, family, 'legacy'));
      const nft = kubeChains(rulesetOf(netns, family, 'nft'));
      if (legacy.length === 0 || nft.length === 0) continue;
      const evidence: Evidence[] = [];
      const owners: string[] = [];
      for (const [backend, chains] of [
        ['legacy', legacy],
        ['nft', nft],
      ] as const) {
        const ruleset = rulesetOf(netns, family, backend)!;
        evidence.push(...capped(chains, SHOWN, (c) => chainEvidence(ruleset, c), ruleset.source));
        for (const w of ruleset.warnings) evidence.push(readLine(ruleset.source, w.text, w.line));
        const who = [
          chains.some((c) => isKubeProxyChain(c.name)) && 'kube-proxy',
          chains.some((c) => isKubeletChain(c.name)) && 'kubelet',
        ].filter(Boolean);
        if (who.length > 0) owners.push(`${backendName(backend)} holds ${who.join(' and ')}'s`);
      }
      evidence.push(...hostSide(node, netns));
      out.push({
        message: `KUBE-* chains are in both iptables backends (${family}): legacy has ${names(legacy)}; nf_tables has ${names(nft)}${owners.length ? `; ${owners.join(', ')}` : ''}. Each backend sees only its own rules, so a jump from one to a chain in the other fails and kube-proxy's iptables-restore is rejected: Service IPs stop working while pod IPs still do.`,
        subject: { family, legacyChains: legacy.length, nftChains: nft.length },
        evidence,
        remediation: REMEDIATION,
      });
    }
    // kube-proxy's binary and the host's disagree even before both backends hold rules.
    const host = node.iptablesVersion;
    if (
      out.length === 0 &&
      netns.meta.isHost &&
      host &&
      node.kubeProxy &&
      kubeProxy?.how === "kube-proxy's own iptables binary" &&
      kubeProxy.backend !== host.backend
    ) {
      out.push({
        message: `kube-proxy runs iptables with the ${backendName(kubeProxy.backend)} backend but the host's iptables (kubelet's) uses ${backendName(host.backend)}: the chains kubelet creates (KUBE-MARK-DROP, KUBE-FIREWALL, KUBE-IPTABLES-HINT) are invisible to kube-proxy.`,
        subject: { kubeProxyBackend: backendName(kubeProxy.backend), hostBackend: backendName(host.backend) },
        evidence: [...kubeProxy.evidence, ...hostSide(node, netns)],
        remediation: REMEDIATION,
      });
    }
    return out;
  },
});

/** Distinct chain names (a chain may be declared in several tables), the first few of them. */
function names(chains: { name: string }[]): string {
  const distinct = [...new Set(chains.map((c) => c.name))];
  const shown = distinct.slice(0, 4).join(', ');
  return distinct.length > 4 ? `${shown} and ${distinct.length - 4} more` : shown;
}

function hostSide(node: NodeFacts, netns: NetnsFacts): Evidence[] {
  if (!netns.meta.isHost) return [];
  const out: Evidence[] = [];
  if (node.iptablesVersion) out.push(readLine('iptables -V', node.iptablesVersion.text));
  const info = node.kubeProxy;
  const kp = info?.lines.get('iptables') ?? info?.lines.get('backend');
  if (info && kp) out.push(readLine(info.source, kp.text, kp.line));
  return out;
}
