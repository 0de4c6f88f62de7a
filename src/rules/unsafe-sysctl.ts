import { isNodeWideNetSysctl, isSafeSysctl, kubeletNamespaceOf, safeSince } from '../knowledge/k8s-sysctls.js';
import { defineManifestRule, type ManifestFindingDraft } from './define-rule.js';
import { describeWorkload, lineEvidence } from './lib/manifest.js';

export default defineManifestRule({
  id: 'unsafe-sysctl',
  title: 'securityContext.sysctls outside the safe set of the target Kubernetes version',
  severity: 'error', // the worst it reports (a finding may lower it): namespaced sysctls are warnings
  check({ workload: w, options }) {
    const version = options.k8sVersion.join('.');
    const out: ManifestFindingDraft[] = [];
    for (const { value: s, position } of w.sysctls) {
      const base = { position, subject: { sysctl: s.name } };
      const evidence = [lineEvidence(w, position, `${s.name} = ${s.value}`)];
      if (w.hostNetwork.value && kubeletNamespaceOf(s.name) === 'net') {
        out.push({
          ...base,
          severity: 'error',
          message: `${describeWorkload(w)} sets ${s.name} in securityContext.sysctls on a hostNetwork pod: kubelet refuses net.* sysctls with host networking ("not allowed with host net enabled"), so the pod never starts.`,
          evidence: [...evidence, lineEvidence(w, w.hostNetwork.position)],
          remediation:
            "Drop hostNetwork so the sysctl applies to the pod's own network namespace, or set the value on the node itself (/etc/sysctl.d or the node pool's sysctl settings) and remove it from the pod.",
        });
        continue;
      }
      if (isSafeSysctl(s.name, options.k8sVersion)) continue;
      const namespace = kubeletNamespaceOf(s.name);
      const since = safeSince(s.name);
      if (!namespace || isNodeWideNetSysctl(s.name)) {
        out.push({
          ...base,
          severity: 'error',
          message: `${describeWorkload(w)} sets ${s.name}, which is not a per-pod (namespaced) sysctl: kubelet refuses it even with --allowed-unsafe-sysctls${namespace ? ', and the kernel keeps it read-only outside the host network namespace' : ''}, so the pod fails with SysctlForbidden.`,
          evidence,
          remediation: `Set ${s.name} on the nodes (/etc/sysctl.d or the node pool's sysctl settings) and remove it from the pod spec.`,
        });
        continue;
      }
      out.push({
        ...base,
        severity: 'warning',
        message: `${describeWorkload(w)} sets ${s.name}, which is not in the safe set of Kubernetes ${version}${since ? ` (it is safe from ${since.join('.')})` : ''}: unless every node that may run it has kubelet --allowed-unsafe-sysctls=${s.name}, the pod is rejected with SysctlForbidden.`,
        evidence,
        remediation: since
          ? `Run the pod on Kubernetes ${since.join('.')} or later, or allow it on the kubelets (--allowed-unsafe-sysctls=${s.name}, or allowedUnsafeSysctls in the kubelet config) and pin the pod to those nodes.`
          : `Allow it on the kubelets that run this pod (--allowed-unsafe-sysctls=${s.name}, or allowedUnsafeSysctls in the kubelet config) and pin the pod to those nodes with a nodeSelector or taint.`,
      });
    }
    return out;
  },
});
