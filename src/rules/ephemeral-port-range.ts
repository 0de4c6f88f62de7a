import { PORT_RANGE_KEY } from '../facts/ephemeral.js';
import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, describeNetns } from './define-rule.js';
import { derived, type FindingDraft } from '../model/finding.js';
import { fmt, rangeEvidence, rises, sysctlEvidence } from './lib/evidence.js';

/** TIME_WAIT lasts TCP_TIMEWAIT_LEN, hard-coded in the kernel. */
const TIME_WAIT_SECONDS = 60;

export default defineRule({
  id: 'ephemeral-port-range',
  title: 'The ephemeral port range is set in a way that hurts',
  severity: 'warning',
  reads: ['net.ipv4.ip_local_port_range'],
  needs: ['sysctls'],
  scope: 'netns',
  check({ node, netns }) {
    const eph = netns.ephemeral;
    if (eph.assumed) return [];
    const { lo, hi } = eph.range;
    const where = describeNetns(netns);
    const out: FindingDraft[] = [];
    const unprivStart = sysctlNumber(netns.sysctls, 'net.ipv4.ip_unprivileged_port_start') ?? 1024;
    if (lo < 1024 || lo < unprivStart) {
      out.push({
        message: `The ephemeral range of ${where} starts at ${lo}, below ${lo < 1024 ? '1024' : `ip_unprivileged_port_start (${unprivStart})`}: well-known ports can be handed out as source ports and then be busy when a server wants to listen on them.`,
        subject: { lo, hi },
        evidence: [
          ...rangeEvidence(netns),
          sysctlEvidence(netns, 'net.ipv4.ip_unprivileged_port_start') ??
            derived('kernel default', 'net.ipv4.ip_unprivileged_port_start = 1024'),
        ],
        remediation: `Start the range at 1024 or above: \`sysctl -w net.ipv4.ip_local_port_range="${Math.max(1024, unprivStart)} ${hi}"\` (in a pod: securityContext.sysctls). Verify with \`sysctl net.ipv4.ip_local_port_range\`.`,
      });
    }
    if (lo % 2 === hi % 2 && lo !== hi) {
      out.push({
        severity: 'info',
        message: `The ends of the ephemeral range of ${where} (${lo} and ${hi}) have the same parity; the kernel documentation asks for different parity, because connect() searches ports of one parity first and bind(0) the other.`,
        subject: { lo, hi },
        evidence: rangeEvidence(netns),
        remediation: `Make the ends differ in parity, e.g. \`sysctl -w net.ipv4.ip_local_port_range="${lo} ${hi + 1 <= 65535 ? hi + 1 : hi - 1}"\`.`,
      });
    }
    const opens = rises(netns.first.snmp, netns.later.snmp)?.get('Tcp.ActiveOpens');
    if (opens !== undefined && node.intervalMs > 0) {
      const rate = opens / (node.intervalMs / 1000);
      const needed = Math.ceil(rate * TIME_WAIT_SECONDS);
      if (needed > eph.usable) {
        out.push({
          message: `${where} opened ${rate.toFixed(0)} outgoing connections per second; aimed at one destination without reuse they need ${fmt(needed)} ports over TIME_WAIT's ${TIME_WAIT_SECONDS} s, but the range has ${fmt(eph.usable)} usable.`,
          subject: { connectionsPerSecond: Math.round(rate), usable: eph.usable },
          evidence: [
            derived(
              '/proc/net/snmp',
              `Tcp.ActiveOpens rose by ${fmt(opens)} in ${(node.intervalMs / 1000).toFixed(1)} s`,
            ),
            ...rangeEvidence(netns),
          ],
          remediation: `Pool or keep alive connections so that fewer are opened, enable \`sysctl -w net.ipv4.tcp_tw_reuse=1\` for outgoing connections, or widen ${PORT_RANGE_KEY}. Verify with \`netdoctor plan\` and \`ss -s\`.`,
        });
      }
    }
    return out;
  },
});
