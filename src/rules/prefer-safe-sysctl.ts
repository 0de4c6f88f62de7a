import { canWriteSysctls } from '../facts/workloads.js';
import { isSafeSysctl } from '../knowledge/k8s-sysctls.js';
import { defineManifestRule, type ManifestFindingDraft } from './define-rule.js';
import { describeContainer, describeWorkload, lineEvidence, writeEvidence } from './lib/manifest.js';
import { at } from '../model/indexing.js';

export default defineManifestRule({
  id: 'prefer-safe-sysctl',
  title: 'A privileged container sets only sysctls that securityContext.sysctls could set',
  severity: 'warning',
  check({ workload: w, options }) {
    // kubelet refuses net.* sysctls on hostNetwork pods, so there securityContext.sysctls is no alternative
    if (w.hostNetwork.value) return [];
    const out: ManifestFindingDraft[] = [];
    for (const c of w.containers.filter(canWriteSysctls)) {
      const writes = c.writes.filter((x) => !x.viaNsenterPid1);
      const keyed = writes.flatMap((x) => (x.key === undefined ? [] : [{ key: x.key, value: x.value }]));
      if (
        writes.length === 0 ||
        keyed.length < writes.length ||
        !keyed.every((x) => isSafeSysctl(x.key, options.k8sVersion))
      )
        continue;
      const settings = [...new Map(keyed.map((x) => [x.key, x.value ?? '…'])).entries()];
      const snippet = `securityContext: {sysctls: [${settings.map(([k, v]) => `{name: ${k}, value: "${v}"}`).join(', ')}]}`;
      out.push({
        message: `${describeWorkload(w)}: ${describeContainer(c)} runs privileged only to set ${settings.map(([k]) => k).join(', ')}, which the pod can set without privileges through spec.securityContext.sysctls (safe in Kubernetes ${options.k8sVersion.join('.')}).`,
        position: at(writes, 0).position,
        subject: { container: c.name, sysctl: settings.map(([k]) => k).join(',') },
        evidence: [lineEvidence(w, c.position, 'privileged'), ...writeEvidence(w, writes)],
        remediation: `Put ${snippet} in the pod spec and remove the privileged ${c.init ? 'initContainer' : 'container'}; it then can never touch the node's sysctls.`,
      });
    }
    return out;
  },
});
