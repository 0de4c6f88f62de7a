import type { NetnsFacts } from '../facts/types.js';
import type { RestoreFailure } from '../parsers/kube-proxy-log.js';
import { BACKENDS, backendName, findChain, rulesetOf } from './lib/iptables.js';
import { defineRule } from './define-rule.js';
import { derived, type Evidence, type FindingDraft } from '../model/finding.js';
import { fmt } from './lib/evidence.js';
import { logEvidence } from './lib/iptables.js';

export default defineRule({
  id: 'kube-proxy-restore-failure',
  title: "kube-proxy's iptables-restore is failing",
  severity: 'error',
  needs: ['kubeProxyLog'],
  scope: 'host',
  check({ node, netns }) {
    const log = node.kubeProxyLog;
    const out: FindingDraft[] = [];
    for (const command of ['iptables-restore', 'ip6tables-restore']) {
      const failures = log.failures.filter((f) => f.command === command);
      const [first] = failures;
      const last = failures.at(-1);
      if (!first || !last) continue;
      const count = log.failureCounts[command] ?? failures.length;
      const chains = tally(failures.map((f) => f.chain).filter((c): c is string => c !== undefined));
      const what = describe(last);
      const evidence: Evidence[] = [...logEvidence(node, last, 6)];
      if (first !== last) evidence.unshift(...logEvidence(node, first, 1));
      for (const [chain, n] of chains) evidence.push(derived('tally', `${fmt(n)} failure(s) on ${chain}`));
      evidence.push(
        derived(
          'window',
          `${fmt(log.lines)} log lines read${log.firstTime ? `, ${log.firstTime} to ${log.lastTime}` : ''}`,
        ),
      );
      // One failure while cleaning up another mode's rules at start-up, never repeated, is not a sync failing.
      if (count === 1 && last.duringCleanup) {
        out.push({
          severity: 'info',
          message: `kube-proxy's ${command} failed once, right after start-up cleanup of another proxy mode's rules${last.time ? ` (${last.time})` : ''}, and not again in the ${fmt(log.lines)} log lines read: the cleanup's failure, not a sync's; Service rules are being installed.`,
          subject: { command, failures: 1, duringCleanup: true },
          evidence,
          remediation:
            'Nothing to do while it does not repeat. Verify with `kubectl -n kube-system logs -l k8s-app=kube-proxy --since=10m | grep -c restore` staying at 0 after start-up.',
        });
        continue;
      }
      out.push({
        message: `kube-proxy's ${command} failed ${fmt(count)} time(s) in the log read${first.time ? ` (first ${first.time}, last ${last.time})` : ''}: ${what}. Each failure rejects the whole batch, so the Service rules in it are not installed or updated.`,
        subject: {
          command,
          failures: count,
          ...(last.chain ? { chain: last.chain } : {}),
          ...(last.backend ? { backend: last.backend } : {}),
        },
        evidence,
        remediation: last.refusal
          ? `The kernel refused ${last.refusal.what}: see iptables-kernel-mismatch for the fix that matches this kernel. Verify with \`kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m | grep -c 'restore'\` → 0.`
          : last.chain
            ? missingChainRemedy(netns, last, command)
            : `Find the rejected line: kube-proxy logs the input line number; run kube-proxy with --v=4 to log the full restore input, or reproduce with \`iptables-save > /tmp/r && iptables-restore --test < /tmp/r\`, then fix what it names and restart kube-proxy. Verify with \`kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m | grep -c 'restore'\` → 0.`,
      });
    }
    return out;
  },
});

/**
 * "Couldn't load target KUBE-MARK-DROP" has more than one cause, and the fix follows the evidence: the
 * chain in the other backend (split), in neither (never created — IPVS-mode kube-proxy before 1.16 relied
 * on kubelet for it — or wiped by a firewall reload), or no rules read to tell.
 */
function missingChainRemedy(netns: NetnsFacts, f: RestoreFailure, command: string): string {
  const chain = f.chain!;
  const family = command.startsWith('ip6') ? 'IPv6' : 'IPv4';
  const verify = ` Verify with \`kubectl -n kube-system logs -l k8s-app=kube-proxy --since=5m | grep -c 'restore'\` → 0.`;
  const rulesets = BACKENDS.map((b) => ({ b, rs: rulesetOf(netns, family, b) })).filter((x) => x.rs !== undefined);
  const holders = rulesets.filter((x) => findChain(x.rs, chain)).map((x) => backendName(x.b));
  const writes = f.backend
    ? `the ${f.backend} backend kube-proxy's ${command} writes to`
    : `the backend kube-proxy's ${command} writes to`;
  const split = `Align kubelet's and kube-proxy's iptables backends (a kube-proxy image with iptables-wrapper, or \`update-alternatives --set iptables …\` on the host), then restart kube-proxy.`;
  const recreate = `Recreate it where kube-proxy writes: restart kubelet (it creates ${chain} at start-up${chain === 'KUBE-MARK-DROP' ? '; kube-proxy in IPVS mode before 1.16 relied on that, PR #82214' : ''}), find what flushes the rules (a firewalld reload or \`systemctl restart iptables\` wipes them) and stop it, or upgrade kube-proxy (1.25+ no longer jumps to KUBE-MARK-DROP).`;
  if (holders.length > 0 && (!f.backend || holders.some((h) => h !== f.backend))) {
    return `${chain} exists only in ${holders.join(' and ')}, not in ${writes}: the rules are split between backends (see iptables-backend-split and iptables-missing-chain). ${split}${verify}`;
  }
  if (rulesets.length > 0 && holders.length === 0) {
    return `${chain} exists in no backend that was read (${rulesets.map((x) => backendName(x.b)).join(', ')}): it was never created or was flushed, not split. ${recreate}${verify}`;
  }
  return `${chain} does not exist in ${writes}. Two causes look alike in the log: the backends are split (kubelet made the chain in the other one; compare \`iptables-legacy-save | grep ${chain}\` with \`iptables-nft-save | grep ${chain}\`; then: ${split}), or nobody recreated it after a flush (then: ${recreate}).${verify}`;
}

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
