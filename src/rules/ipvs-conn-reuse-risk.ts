import { IPVS_CONN_REUSE_FIXED, atLeast, majorMinor } from '../knowledge/versions.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import { defineClusterRule } from './define-rule.js';

export default defineClusterRule({
  id: 'ipvs-conn-reuse-risk',
  title: 'kube-proxy in IPVS mode on kernels before 5.9: 1 s SYN delays or traffic to deleted pods',
  severity: 'warning',
  reads: ['Node', 'ConfigMap'],
  check({ cluster }) {
    const conf = cluster.kubeProxyConfigs.find((c) => c.mode === 'ipvs');
    if (!conf) return [];
    const old = cluster.nodes.filter((n) => {
      const v = majorMinor(n.kernelVersion);
      return v !== undefined && !atLeast(v, IPVS_CONN_REUSE_FIXED);
    });
    if (old.length === 0) return [];
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
    return [draft];
  },
});
