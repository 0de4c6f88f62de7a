import { isNodeWide, writesReachingNode } from '../facts/workloads.js';
import { defineManifestRule, type ManifestFindingDraft } from './define-rule.js';
import {
  describeContainer,
  describeWorkload,
  GUARD_FIX,
  isNetWrite,
  lineEvidence,
  writeEvidence,
} from './lib/manifest.js';
import { at } from '../model/indexing.js';

export default defineManifestRule({
  id: 'node-sysctl-from-pod',
  title: "A pod changes the node's own net.* sysctls",
  severity: 'error',
  check({ workload: w }) {
    const out: ManifestFindingDraft[] = [];
    for (const c of w.containers) {
      const writes = writesReachingNode(w, c).filter(isNetWrite);
      if (writes.length === 0) continue;
      const keys = [...new Set(writes.map((x) => x.key ?? `the keys in ${x.file}`))];
      const nodeWideOnly = writes.every((x) => x.key !== undefined && isNodeWide(x.key));
      const how = nodeWideOnly
        ? 'writes kernel parameters that no network namespace has its own copy of'
        : writes.every((x) => x.viaNsenterPid1)
          ? 'enters the host network namespace (nsenter -t 1 -n, hostPID)'
          : 'runs on the host network (hostNetwork: true)';
      out.push({
        message: `${describeWorkload(w)}: ${describeContainer(c)} ${how}${how.startsWith('writes') ? ':' : ' and writes'} ${keys.join(', ')}; that changes the kernel settings of the node itself, for every pod and for kubelet and kube-proxy.`,
        position: at(writes, 0).position,
        subject: { container: c.name, sysctl: keys.join(',') },
        evidence: [
          ...(w.hostNetwork.value
            ? [lineEvidence(w, w.hostNetwork.position, 'the pod shares the node network namespace')]
            : []),
          lineEvidence(
            w,
            c.position,
            c.privileged ? 'privileged: may write /proc/sys' : `capabilities ${c.capabilitiesAdded.join(',')}`,
          ),
          ...writeEvidence(w, writes),
        ],
        remediation: nodeWideOnly
          ? `These parameters exist once per node, so no guard or pod setting can confine them: set them in the node's own configuration (/etc/sysctl.d for ${keys.filter((k) => !k.startsWith('/sys/')).join(', ') || 'sysctls'}, /etc/modprobe.d for module parameters such as \`options nf_conntrack hashsize=…\`), or, if this DaemonSet is meant to tune nodes, say so with the netdoctor.io/ignore annotation and a reason.`
          : `Set node sysctls in the node's own configuration (/etc/sysctl.d on the image, or the node pool's sysctl settings), where the NodePort range can be reserved at the same time; in this pod, either drop hostNetwork and move namespaced settings to spec.securityContext.sysctls, or ${GUARD_FIX}.`,
      });
    }
    return out;
  },
});
