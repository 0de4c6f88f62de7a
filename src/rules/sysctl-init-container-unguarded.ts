import { canWriteSysctls, isNodeWide } from '../facts/workloads.js';
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
  id: 'sysctl-init-container-unguarded',
  title: 'A privileged initContainer sets net.* sysctls without the POD_IP != HOST_IP guard',
  severity: 'warning',
  check({ workload: w }) {
    // on a hostNetwork pod the same writes already change the node: node-sysctl-from-pod reports them
    if (w.hostNetwork.value) return [];
    const out: ManifestFindingDraft[] = [];
    for (const c of w.containers.filter((x) => x.init && canWriteSysctls(x))) {
      // A guard cannot confine node-wide parameters: node-sysctl-from-pod reports those.
      const writes = c.writes.filter(
        (x) => isNetWrite(x) && !x.guardValid && !x.viaNsenterPid1 && !(x.key !== undefined && isNodeWide(x.key)),
      );
      if (writes.length === 0) continue;
      const keys = [...new Set(writes.map((x) => x.key ?? `the keys in ${x.file}`))];
      out.push({
        message: `${describeWorkload(w)}: ${describeContainer(c)} is privileged and writes ${keys.join(', ')} with no check that the pod has its own network namespace; the day this template runs with hostNetwork: true (or is copied into a pod that does), it rewrites the node's sysctls.`,
        position: at(writes, 0).position,
        subject: { container: c.name, sysctl: keys.join(',') },
        evidence: [lineEvidence(w, c.position, 'privileged initContainer'), ...writeEvidence(w, writes)],
        remediation: `In the script, ${GUARD_FIX}; better still, set the namespaced ones in spec.securityContext.sysctls and drop the privileged container.`,
      });
    }
    return out;
  },
});
