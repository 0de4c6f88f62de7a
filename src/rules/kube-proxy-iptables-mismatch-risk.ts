import { atLeast } from '../knowledge/versions.js';
import { kubeProxyImage } from './lib/kube-proxy-image.js';
import { KUBE_PROXY_DETECTS_BACKEND, UPSTREAM_KUBE_PROXY, osDefaultsToNft } from '../knowledge/os-iptables.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import type { DaemonSetInfo, NodeInfo } from '../parsers/k8s-objects.js';
import { defineClusterRule } from './define-rule.js';

export default defineClusterRule({
  id: 'kube-proxy-iptables-mismatch-risk',
  title: "kube-proxy's iptables cannot follow the nodes' nf_tables default: its rules and kubelet's split",
  severity: 'error',
  reads: ['Node', 'DaemonSet'],
  check({ cluster }) {
    const kp = kubeProxyImage(cluster.daemonSets);
    if (!kp) return [];
    const version = kp.version;
    const upstream = UPSTREAM_KUBE_PROXY.test(kp.image);
    const nftNodes = cluster.nodes.filter((n) => osDefaultsToNft(n.osImage));
    if (nftNodes.length === 0) return [];
    const legacyOnly = upstream && version !== undefined && !atLeast(version, KUBE_PROXY_DETECTS_BACKEND);
    if (!legacyOnly && upstream) return [];
    return [draft(kp, nftNodes, legacyOnly)];
  },
});

function draft(kp: { ds: DaemonSetInfo; image: string }, nodes: NodeInfo[], legacyOnly: boolean): FindingDraft {
  const names = nodes.map((n) => n.name);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '');
  return {
    severity: legacyOnly ? 'error' : 'info',
    message: legacyOnly
      ? `kube-proxy runs ${kp.image}, an image from before 1.17 that only has iptables-legacy, while ${names.length} node(s) (${shown}) run an OS whose iptables defaults to nf_tables: kubelet writes its chains with the host's iptables-nft, kube-proxy its rules with iptables-legacy, and a restore that jumps to a chain kubelet made fails — Services stop working on those nodes, new nodes first.`
      : `kube-proxy runs ${kp.image}, not the upstream image: whether it picks the host's backend (iptables-wrapper) is not known from its version, and ${names.length} node(s) (${shown}) default to nf_tables. Check with \`netdoctor node\` on one of them (iptables-backend-split).`,
    subject: {
      image: kp.image,
      daemonSet: kp.ds.name,
      nodes: names.length,
      ...(legacyOnly ? {} : { upstream: false }),
    },
    evidence: [
      readLine(kp.ds.source, `${kp.ds.name}: image ${kp.image}`),
      ...nodes
        .slice(0, 5)
        .map((n) => derived(n.source, `${n.name}: osImage ${n.osImage ?? '?'} (iptables defaults to nf_tables)`)),
    ],
    remediation: legacyOnly
      ? 'Upgrade kube-proxy to 1.17 or later (its image detects the backend the host uses), or switch the nodes to iptables-legacy (`update-alternatives --set iptables /usr/sbin/iptables-legacy`, and ip6tables, then restart kubelet) before they join. Verify with `netdoctor node` on a node: no iptables-backend-split.'
      : 'Use an image with iptables-wrapper (upstream registry.k8s.io/kube-proxy is), or confirm this one picks nf_tables on these nodes: `netdoctor node` on one of them reports no iptables-backend-split.',
  };
}
