import {
  IPVS_CONN_REUSE_FIXED,
  IPVS_DEPRECATED,
  IPVS_GATE_DEFAULT_OFF,
  atLeast,
  majorMinor,
} from '../knowledge/versions.js';
import type { ClusterObjects } from '../parsers/k8s-objects.js';
import { kubeProxyImage } from './lib/kube-proxy-image.js';
import { derived, readLine, type Evidence, type FindingDraft } from '../model/finding.js';
import { defineClusterRule } from './define-rule.js';

export default defineClusterRule({
  id: 'ipvs-conn-reuse-risk',
  title: 'kube-proxy in IPVS mode on kernels before 5.9: 1 s SYN delays or traffic to deleted pods',
  severity: 'warning',
  reads: ['Node', 'ConfigMap'],
  check({ cluster }) {
    const conf = cluster.kubeProxyConfigs.find((c) => c.mode === 'ipvs');
    if (!conf) return [];
    const deprecation = deprecationNote(cluster, conf);
    const old = cluster.nodes.filter((n) => {
      const v = majorMinor(n.kernelVersion);
      return v !== undefined && !atLeast(v, IPVS_CONN_REUSE_FIXED);
    });
    if (old.length === 0) return deprecation ? [deprecation] : [];
    const names = old.map((n) => n.name);
    const draft: FindingDraft = {
      message: `kube-proxy runs in IPVS mode and ${names.length} node(s) (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}) run a kernel before 5.9: there a SYN that reuses the source port of an old IPVS connection either waits 1 s (conn_reuse_mode=1) or goes to the real server of the old connection, a pod that may be gone after a rollout (conn_reuse_mode=0, which kube-proxy before 1.22 set) — both kubernetes#81775/#90854.`,
      subject: { configMap: conf.name, nodes: names.length, mode: 'ipvs' },
      evidence: [
        conf.line
          ? readLine(conf.source, `${conf.name} config.conf: ${conf.line}`)
          : derived(conf.source, `${conf.name}: mode ipvs`),
        ...old.slice(0, 5).map((n) => derived(n.source, `${n.name}: kernel ${n.kernelVersion ?? '?'} (before 5.9)`)),
      ],
      remediation:
        'Move the nodes to a kernel of 5.9 or later (the fix: f0a5e4d7a594, 35dfb013149f), or run kube-proxy in iptables or nftables mode (IPVS mode is deprecated, KEP-5495). Until then, check each node with `netdoctor node` (ipvs-conn-reuse-mode, ipvs-stale-real-server).',
    };
    return deprecation ? [draft, deprecation] : [draft];
  },
});

/**
 * kube-proxy's version: its DaemonSet's image tag, else the nodes' kubelet version (kube-proxy is deployed at
 * the kubelet's version; nodeInfo.kubeProxyVersion is no longer set since 1.31), said which.
 */
function kubeProxyVersion(cluster: ClusterObjects): { version: [number, number]; evidence: Evidence } | undefined {
  const kp = kubeProxyImage(cluster.daemonSets);
  if (kp?.version) return { version: kp.version, evidence: readLine(kp.ds.source, `${kp.ds.name}: image ${kp.image}`) };
  const node = cluster.nodes.find((n) => majorMinor(n.kubeletVersion));
  const version = majorMinor(node?.kubeletVersion);
  if (!node || !version) return undefined;
  return {
    version,
    evidence: derived(
      node.source,
      `${node.name}: kubelet ${node.kubeletVersion ?? ''} (kube-proxy taken to run the same version)`,
    ),
  };
}

function deprecationNote(
  cluster: ClusterObjects,
  conf: ClusterObjects['kubeProxyConfigs'][number],
): FindingDraft | undefined {
  const kp = kubeProxyVersion(cluster);
  if (!kp || !atLeast(kp.version, IPVS_DEPRECATED)) return undefined;
  const [major, minor] = kp.version;
  const offIn = IPVS_GATE_DEFAULT_OFF.join('.');
  return {
    severity: 'info',
    message: `kube-proxy ${major}.${minor} runs in IPVS mode, deprecated since 1.35 (KEP-5495): kube-proxy warns at start (an IPVSDeprecation event); from 1.37 the mode sits behind the KubeProxyIPVS feature gate, planned off by default in ${offIn} and locked off in 1.43, when \`mode: ipvs\` no longer starts.`,
    subject: { configMap: conf.name, mode: 'ipvs', deprecated: true },
    evidence: [
      conf.line
        ? readLine(conf.source, `${conf.name} config.conf: ${conf.line}`)
        : derived(conf.source, `${conf.name}: mode ipvs`),
      kp.evidence,
    ],
    remediation:
      'Plan the move to nftables mode (GA since 1.33; kernel 5.13 or later) or iptables mode on older kernels: set `mode: nftables` in the kube-proxy ConfigMap and restart its pods, node by node. Verify with `kubectl -n kube-system logs -l k8s-app=kube-proxy | grep -c "Using nftables Proxier"`.',
  };
}
