import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, describeNetns } from './define-rule.js';
import { derived, readLine, type Evidence } from '../model/finding.js';
import { fmt, rises, sysctlEvidence, sysctlLine } from './lib/evidence.js';
import { natEvidence } from './lib/nat.js';

export default defineRule({
  id: 'tcp-tw-recycle-nat',
  title: 'tcp_tw_recycle drops SYNs from clients behind NAT',
  severity: 'error',
  reads: ['net.ipv4.tcp_tw_recycle'],
  needs: ['sysctls'],
  scope: 'netns',
  check({ node, netns }) {
    const s = netns.sysctls;
    // Gone since Linux 4.12: a kernel without the sysctl cannot have the problem.
    if (sysctlNumber(s, 'net.ipv4.tcp_tw_recycle') !== 1) return [];
    if (sysctlNumber(s, 'net.ipv4.tcp_timestamps') === 0) return [];
    const where = describeNetns(netns);
    const evidence: Evidence[] = [sysctlLine(netns, 'net.ipv4.tcp_tw_recycle')];
    evidence.push(
      sysctlEvidence(netns, 'net.ipv4.tcp_timestamps') ?? derived('kernel default', 'net.ipv4.tcp_timestamps = 1'),
    );
    const paws = rises(netns.first.netstat, netns.later.netstat)?.get('TcpExt.PAWSPassive');
    if (paws !== undefined) {
      evidence.push(
        derived(
          '/proc/net/netstat',
          `TcpExt.PAWSPassive rose by ${fmt(paws)} in ${(node.intervalMs / 1000).toFixed(1)} s${paws > 0 ? ': SYNs are being rejected now' : ''}`,
        ),
      );
    } else {
      const total = netns.first.netstat?.get('TcpExt.PAWSPassive');
      if (total !== undefined)
        evidence.push(derived('/proc/net/netstat', `TcpExt.PAWSPassive = ${fmt(total)} since boot`));
    }
    const nat = natEvidence(netns);
    if (node.kernelRelease) evidence.push(readLine('uname -r', node.kernelRelease));
    const remediation =
      '`sysctl -w net.ipv4.tcp_tw_recycle=0` and remove it from /etc/sysctl.conf and /etc/sysctl.d/ (the setting is gone in Linux 4.12+; for TIME_WAIT pressure use tcp_tw_reuse=1 on clients instead). Verify with `sysctl net.ipv4.tcp_tw_recycle` and `nstat -az TcpExtPAWSPassive` no longer rising.';
    if (nat && nat.length > 0) {
      return [
        {
          message: `In ${where}, tcp_tw_recycle=1 with TCP timestamps on meets source NAT: clients behind one NAT address have unrelated timestamp clocks, so the kernel drops SYNs whose timestamp is older than the last one it saw from that address within 60 s (PAWS). Clients time out on every few connections; "SYNs to LISTEN sockets dropped" rises${paws ? ` (PAWSPassive +${fmt(paws)} between the samples)` : ''}.`,
          subject: { nat: true, ...(paws !== undefined ? { pawsPassive: paws } : {}) },
          evidence: [...evidence, ...nat],
          remediation,
        },
      ];
    }
    return [
      {
        severity: 'warning',
        message: `In ${where}, tcp_tw_recycle=1 with TCP timestamps on. ${nat ? 'No NAT rules were found here' : 'Whether it NATs is unknown (no iptables-save was collected)'}, but any client behind a NAT or a load balancer that SNATs will see SYNs dropped.`,
        subject: { nat: nat ? false : 'unknown', ...(paws !== undefined ? { pawsPassive: paws } : {}) },
        evidence,
        remediation,
      },
    ];
  },
});
