import { ST_TIME_WAIT } from '../parsers/tcp-states.js';
import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, describeNetns } from './define-rule.js';
import { derived, type FindingDraft } from '../model/finding.js';
import { endpoint, fmt, pct, perSecond, rangeEvidence, rises, sysctlEvidence, sysctlLine } from './lib/evidence.js';
import { timeWaitReusable } from './lib/tw-reuse.js';

const DEST_SHARE = 0.5;
const BUCKETS_SHARE = 0.9;

export default defineRule({
  id: 'time-wait-pressure',
  title: 'TIME_WAIT sockets crowd the ports or the TIME_WAIT table',
  severity: 'warning',
  needs: ['sockets'],
  scope: 'netns',
  check({ node, netns }) {
    const out: FindingDraft[] = [];
    const where = describeNetns(netns);
    const usable = netns.ephemeral.usable;
    for (const d of netns.sockets.destinations) {
      const tw = d.states[ST_TIME_WAIT] ?? 0;
      if (tw < usable * DEST_SHARE || timeWaitReusable(netns, d.localIp, d.remoteIp)) continue;
      const dest = endpoint(d.remoteIp, d.remotePort);
      out.push({
        message: `${fmt(tw)} TIME_WAIT sockets from ${d.localIp} to ${dest} hold ${pct(tw, usable)} of the usable ephemeral ports in ${where} for 60 s each: connections are opened and closed faster than TIME_WAIT lets their ports go.`,
        subject: { localIp: d.localIp, remoteIp: d.remoteIp, remotePort: d.remotePort, timeWait: tw, usable },
        evidence: [
          derived(d.source, `${fmt(tw)} of ${fmt(d.total)} sockets ${d.localIp} → ${dest} are in TIME_WAIT`),
          ...rangeEvidence(netns),
          sysctlEvidence(netns, 'net.ipv4.tcp_tw_reuse') ??
            derived('kernel default', 'net.ipv4.tcp_tw_reuse = 2 (loopback only)'),
        ],
        remediation: `Keep connections to ${dest} alive and pooled instead of one per request; for outgoing connections \`sysctl -w net.ipv4.tcp_tw_reuse=1\` lets connect() reuse TIME_WAIT ports (timestamps must stay on). Verify with \`ss -tan state time-wait dst ${d.remoteIp} | wc -l\`.`,
      });
    }
    const buckets = netns.sysctls ? sysctlNumber(netns.sysctls, 'net.ipv4.tcp_max_tw_buckets') : undefined;
    const tw = netns.first.sockstat?.get('TCP.tw') ?? netns.sockets.byState[ST_TIME_WAIT] ?? 0;
    if (buckets !== undefined && buckets > 0 && tw >= buckets * BUCKETS_SHARE) {
      out.push({
        message: `${where} holds ${fmt(tw)} TIME_WAIT sockets, ${pct(tw, buckets)} of tcp_max_tw_buckets (${fmt(buckets)}): past it the kernel destroys TIME_WAIT sockets at once, and late segments of old connections can hit new ones.`,
        subject: { timeWait: tw, maxTwBuckets: buckets },
        evidence: [
          derived(netns.first.sockstat ? '/proc/net/sockstat' : '/proc/net/tcp', `TIME_WAIT sockets: ${fmt(tw)}`),
          sysctlLine(netns, 'net.ipv4.tcp_max_tw_buckets'),
        ],
        remediation:
          'Reduce connection churn (keep-alive, pooling); raise net.ipv4.tcp_max_tw_buckets only with the memory to hold them. Verify with `ss -s`.',
      });
    }
    const overflow = rises(netns.first.netstat, netns.later.netstat)?.get('TcpExt.TCPTimeWaitOverflow');
    if (overflow !== undefined && overflow > 0) {
      out.push({
        message: `TIME_WAIT sockets are being destroyed early in ${where} (${perSecond(overflow, node.intervalMs)}): the TIME_WAIT table is full (tcp_max_tw_buckets).`,
        subject: { timeWaitOverflows: overflow },
        evidence: [
          derived(
            '/proc/net/netstat',
            `TcpExt.TCPTimeWaitOverflow rose by ${fmt(overflow)} in ${(node.intervalMs / 1000).toFixed(1)} s`,
          ),
          ...(sysctlEvidence(netns, 'net.ipv4.tcp_max_tw_buckets')
            ? [sysctlLine(netns, 'net.ipv4.tcp_max_tw_buckets')]
            : []),
        ],
        remediation:
          'Reduce connection churn (keep-alive, pooling) so fewer connections end in TIME_WAIT. Verify with `nstat -az TcpExtTCPTimeWaitOverflow`.',
      });
    }
    return out;
  },
});
