import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, describeNetns } from './define-rule.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import { fmt, pct, rises, sysctlEvidence } from './lib/evidence.js';

const WARN = 0.75;
const ERROR = 0.9;

export default defineRule({
  id: 'conntrack-table-pressure',
  title: 'The conntrack table is nearly full or dropping entries',
  severity: 'error',
  needs: ['conntrack'],
  scope: 'netns',
  check({ node, netns }) {
    const out: FindingDraft[] = [];
    const where = describeNetns(netns);
    const count = netns.sysctls ? (sysctlNumber(netns.sysctls, 'net.netfilter.nf_conntrack_count') ?? 0) : 0;
    const max = netns.sysctls ? (sysctlNumber(netns.sysctls, 'net.netfilter.nf_conntrack_max') ?? 0) : 0;
    const limits = ['net.netfilter.nf_conntrack_count', 'net.netfilter.nf_conntrack_max'].flatMap(
      (k) => sysctlEvidence(netns, k) ?? [],
    );
    const remediation = `Raise the limit on the node (\`sysctl -w net.netfilter.nf_conntrack_max=${Math.max(max * 2, 262144)}\`, or kube-proxy --conntrack-max-per-core) and shorten idle entries (net.netfilter.nf_conntrack_tcp_timeout_established); find the flood with \`conntrack -S\` and \`conntrack -L | awk '{print $5}' | sort | uniq -c | sort -rn | head\`.`;
    if (max > 0 && count >= max * WARN) {
      out.push({
        severity: count >= max * ERROR ? 'error' : 'warning',
        message: `The conntrack table of ${where} is ${pct(count, max)} full (${fmt(count)} of ${fmt(max)} entries): when it is full, new connections' packets are dropped ("nf_conntrack: table full, dropping packet").`,
        subject: { count, max },
        evidence: limits,
        remediation,
      });
    }
    const kernelLog = netns.meta.isHost ? node.kernelLog : undefined;
    const full = kernelLog?.conntrackFull;
    if (kernelLog && full && full.count > 0) {
      out.push({
        message: `The kernel logged "nf_conntrack: table full, dropping packet" ${fmt(full.count)} time(s): the conntrack table of ${where} overflowed and new connections' packets were dropped (the kernel rate-limits the message, so each line stands for more drops).`,
        subject: { tableFullLines: full.count },
        evidence: [
          ...[full.first, full.last]
            .filter((l): l is NonNullable<typeof l> => l !== undefined)
            .filter((l, i, a) => a.indexOf(l) === i)
            .map((l) => readLine(kernelLog.source, l.reason, l.line)),
          ...limits,
        ],
        remediation,
      });
    }
    const deltas = rises(netns.first.conntrack, netns.later.conntrack);
    if (deltas) {
      const dropped = (deltas.get('drop') ?? 0) + (deltas.get('early_drop') ?? 0);
      const insertFailed = deltas.get('insert_failed') ?? 0;
      const seconds = (node.intervalMs / 1000).toFixed(1);
      if (dropped > 0) {
        out.push({
          message: `conntrack dropped ${fmt(dropped)} new connection(s) in ${seconds} s in ${where}: the table is full.`,
          subject: { dropped },
          evidence: [
            derived(
              '/proc/net/stat/nf_conntrack',
              `drop +${fmt(deltas.get('drop') ?? 0)}, early_drop +${fmt(deltas.get('early_drop') ?? 0)} in ${seconds} s`,
            ),
            ...limits,
          ],
          remediation,
        });
      } else if (insertFailed > 0) {
        out.push({
          severity: 'warning',
          message: `conntrack failed to insert ${fmt(insertFailed)} entr${insertFailed === 1 ? 'y' : 'ies'} in ${seconds} s in ${where}: racing packets of one flow (typically parallel UDP DNS queries through NAT) lose, and those packets are dropped.`,
          subject: { insertFailed },
          evidence: [derived('/proc/net/stat/nf_conntrack', `insert_failed +${fmt(insertFailed)} in ${seconds} s`)],
          remediation:
            'For DNS, use `options single-request-reopen` or use-vc in resolv.conf, or NodeLocal DNSCache; upgrade kernels that lack the conntrack clash fixes (5.0+). Verify with `conntrack -S`.',
        });
      }
    }
    return out;
  },
});
