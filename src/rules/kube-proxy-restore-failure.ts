import type { RestoreFailure } from '../parsers/kube-proxy-log.js';
import { defineRule, type Evidence, type FindingDraft } from './define-rule.js';
import { fmt } from './lib/evidence.js';
import { logEvidence } from './lib/iptables.js';

export default defineRule({
  id: 'kube-proxy-restore-failure',
  title: "kube-proxy's iptables-restore is failing",
  severity: 'error',
  needs: ['kubeProxyLog'],
  scope: 'host',
  check({ node }) {
    const log = node.kubeProxyLog!;
    const out: FindingDraft[] = [];
    for (const command of ['iptables-restore', 'ip6tables-restore']) {
      const failures = log.failures.filter((f) => f.command === command);
      if (failures.length === 0) continue;
      const count = log.failureCounts[command] ?? failures.length;
      const last = failures[failures.length - 1];
      const chains = tally(failures.map((f) => f.chain).filter((c): c is string => c !== undefined));
      const what = describe(last);
      const evidence: Evidence[] = [...logEvidence(node, last, 6)];
      if (failures[0] !== last) evidence.unshift(...logEvidence(node, failures[0], 1));
      for (const [chain, n] of chains) evidence.push({ source: 'tally', detail: `${fmt(n)} failure(s) on ${chain}` });
      evidence.push({ source: 'window', detail: `${fmt(log.lines)} log lines read${log.firstTime ? `, ${log.firstTime} to ${log.lastTime}` : ''}` });
      out.push({
        message: `kube-proxy's ${command} failed ${fmt(count)} time(s) in the log read${failures[0].time ? ` (first ${failures[0].time}, last ${last.time})` : ''}: ${what}. Each failure rejects the whole batch, so the Service rules in it are not installed or updated.`,
        subject: { command, failures: count, ...(last.chain ? { chain: last.chain } : {}), ...(last.backend ? { backend: last.backend } : {}) },
        evidence,
        remediation: last.chain
          ? `The chain ${last.chain} does not exist in the backend kube-proxy's ${command} writes to${last.backend ? ` (${last.backend})` : ''}: see iptables-missing-chain and iptables-backend-split, align kubelet's and kube-proxy's iptables backends (kube-proxy image with iptables-wrapper, or \`update-alternatives --set iptables …\` on the host), then restart kube-proxy. Verify with \`kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m | grep -c 'restore'\` → 0.`
          : `Find the rejected line: kube-proxy logs the input line number; run kube-proxy with --v=4 to log the full restore input, or reproduce with \`iptables-save > /tmp/r && iptables-restore --test < /tmp/r\`, then fix what it names and restart kube-proxy. Verify with \`kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m | grep -c 'restore'\` → 0.`,
      });
    }
    return out;
  },
});

function describe(f: RestoreFailure): string {
  const parts: string[] = [];
  if (f.chain) parts.push(`chain or target ${f.chain} not found`);
  if (f.backend) parts.push(`${f.backend} backend`);
  if (f.inputLine !== undefined) parts.push(`at input line ${f.inputLine}`);
  if (f.exitStatus !== undefined) parts.push(`exit status ${f.exitStatus}`);
  return parts.length > 0 ? parts.join(', ') : 'see the log lines below';
}

function tally(items: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m];
}
