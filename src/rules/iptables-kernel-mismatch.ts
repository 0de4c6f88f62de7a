import { majorMinor } from '../knowledge/versions.js';
import type { KernelRefusal } from '../parsers/kube-proxy-log.js';
import { defineRule } from './define-rule.js';
import { derived, readLine, type Evidence, type FindingDraft } from '../model/finding.js';
import { fmt } from './lib/evidence.js';
import { lastOf, type NonEmpty } from '../model/indexing.js';

/**
 * kube-proxy's iptables and the node's kernel disagree: the kernel refuses a table, an option or an
 * nf_tables operation that the iptables in kube-proxy's image asks for. Not a backend split (both sides
 * agree on the backend); the kernel lacks what the tool needs. Real lines: "unknown option "--xor-mark""
 * (kube-proxy#25, 5.15; rke2#8042, 6.8.0-57), "CHAIN_USER_DEL failed (Device or resource busy)"
 * (kubernetes#92250, CentOS 7 3.10 with iptables 1.8.2 nf_tables), "Table does not exist (do you need
 * to insmod?)" (kubespray#1088, rke#642).
 */
export default defineRule({
  id: 'iptables-kernel-mismatch',
  title: "The node's kernel refuses what kube-proxy's iptables asks for",
  severity: 'error',
  needs: ['kubeProxyLog'],
  scope: 'host',
  check({ node }) {
    const log = node.kubeProxyLog;
    const all: KernelRefusal[] = [...log.refusals, ...log.failures.flatMap((f) => (f.refusal ? [f.refusal] : []))];
    const groups = new Map<string, NonEmpty<KernelRefusal>>();
    for (const r of all) {
      const key = `${r.kind}\0${r.what}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    const kernel = majorMinor(node.kernelRelease);
    const out: FindingDraft[] = [];
    for (const refusals of groups.values()) {
      const first = refusals[0];
      const last = lastOf(refusals);
      const evidence: Evidence[] = last.lines.slice(0, 4).map((l) => readLine(log.source, l.text, l.line));
      evidence.push(
        derived(
          'tally',
          `${fmt(refusals.length)} time(s) in ${fmt(log.lines)} log lines${first.time ? `, ${first.time} to ${last.time ?? first.time}` : ''}`,
        ),
      );
      evidence.push(
        node.kernelRelease
          ? readLine('uname -r', node.kernelRelease)
          : derived(
              'uname -r',
              'not read: the fix depends on the kernel version (pass host/kernel-release or `uname -r` output)',
            ),
      );
      if (node.iptablesVersion) evidence.push(readLine('iptables -V', node.iptablesVersion.text.trim()));
      out.push({
        message: message(first, kernel),
        subject: {
          kind: first.kind,
          refused: first.what,
          ...(first.backend ? { backend: first.backend } : {}),
          times: refusals.length,
        },
        evidence,
        remediation: remedy(first, kernel),
      });
    }
    return out;
  },
});

function message(r: KernelRefusal, kernel: [number, number] | undefined): string {
  const by = `kube-proxy's iptables${r.backend ? ` (${r.backend})` : ''}`;
  const k = kernel ? `kernel ${kernel.join('.')}` : "the node's kernel";
  switch (r.kind) {
    case 'table-missing':
      return `${k} has no ${r.what} table for ${by}: the table's module is not loaded and kube-proxy could not load it (no /lib/modules in its container, or the module is absent for this backend), so no Service rule in that table exists.`;
    case 'unknown-option':
    case 'extension-unsupported':
      return `${k} cannot do what ${by} needs for ${r.what}: the nf_tables translation or the xtables extension behind it is missing from this kernel, so every restore that uses it is rejected and Service rules stop updating.`;
    case 'nft-operation-failed':
      return `${k} fails nf_tables operations (${r.what}) that ${by} performs: the image's iptables uses the nf_tables backend on a kernel whose nf_tables support is too old for it${kernel && kernel[0] < 4 ? " (3.x kernels such as CentOS 7's)" : ''}.`;
    case 'match-missing':
      return `${k} has no ${r.what} match for ${by}: its xt_${r.what} module is not loaded, so rules using it cannot be installed.`;
  }
}

function remedy(r: KernelRefusal, kernel: [number, number] | undefined): string {
  const verify =
    ' Verify with `kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m` showing no such error, and the Service rules present in `iptables-save -t nat | grep -c KUBE-SVC`.';
  const old = kernel !== undefined && kernel[0] < 4;
  switch (r.kind) {
    case 'table-missing':
      return `Load the table's module on the node (\`modprobe iptable_${r.what}\` for legacy, \`modprobe nf_tables nft_chain_nat\` for nf_tables) and persist it in /etc/modules-load.d/, or mount /lib/modules read-only into kube-proxy's pod so it can load it; if the node runs nf_tables only, use a kube-proxy image whose iptables picks nf_tables (iptables-wrapper).${verify}`;
    case 'unknown-option':
    case 'extension-unsupported':
      return old
        ? `This kernel is too old for the nf_tables backend: run kube-proxy with legacy iptables (an image with iptables-wrapper picks legacy when the host's rules are legacy; or set the image's alternatives to iptables-legacy), or upgrade the node's kernel.${verify}`
        : `Load the missing extension module (\`modprobe xt_MARK\`, and for IPv6 \`modprobe ip6table_mangle\`; on Ubuntu also check that linux-modules-extra-$(uname -r) is installed: a kernel update can leave the module out, as reported for 6.8.0-57 in rke2#8042), or boot a kernel that has it; alternatively run kube-proxy with the legacy backend if the node's legacy modules are present.${verify}`;
    case 'nft-operation-failed':
      return `Run kube-proxy with legacy iptables on this node (kube-proxy 1.17+ images carry iptables-wrapper, which picks legacy when kubelet's rules are there; pin \`iptables-legacy\` in custom images), or move the node to a kernel with complete nf_tables support (RHEL/CentOS 8+).${verify}`;
    case 'match-missing':
      return `Load the match's module (\`modprobe xt_${r.what}\`) and persist it in /etc/modules-load.d/, or mount /lib/modules read-only into kube-proxy's pod so it can load it.${verify}`;
  }
}
