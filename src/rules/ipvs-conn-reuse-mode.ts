import { IPVS_CONN_REUSE_FIXED, atLeast, majorMinor } from '../knowledge/versions.js';
import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule } from './define-rule.js';
import { derived, readLine, type Evidence, type FindingDraft } from '../model/finding.js';
import { sysctlLine } from './lib/evidence.js';

export default defineRule({
  id: 'ipvs-conn-reuse-mode',
  title: 'IPVS connection-reuse settings that are dangerous on this kernel',
  severity: 'warning',
  reads: ['net.ipv4.vs.conn_reuse_mode'],
  needs: ['ipvs', 'sysctls'],
  scope: 'host',
  check({ node, netns }) {
    if (netns.ipvs.table.services.length === 0) return [];
    const s = netns.sysctls;
    const reuse = sysctlNumber(s, 'net.ipv4.vs.conn_reuse_mode');
    const nodest = sysctlNumber(s, 'net.ipv4.vs.expire_nodest_conn');
    const v = majorMinor(node.kernelRelease);
    const fixed = v ? atLeast(v, IPVS_CONN_REUSE_FIXED) : undefined;
    const kernel: Evidence = node.kernelRelease
      ? readLine('uname -r', node.kernelRelease)
      : derived('uname -r', 'kernel release not collected');
    const out: FindingDraft[] = [];
    if (reuse === 0) {
      out.push({
        message: `net.ipv4.vs.conn_reuse_mode=0: a client that reuses a source port of an existing IPVS entry is sent to the same real server as before, even one that was removed (weight 0) — 502s and "No route to host" after rolling updates${fixed === false ? ` (kube-proxy sets 0 on kernels before 5.9, like this ${node.kernelRelease}, to avoid a 1 s SYN delay)` : ''}.`,
        subject: { sysctl: 'net.ipv4.vs.conn_reuse_mode', value: 0 },
        evidence: [sysctlLine(netns, 'net.ipv4.vs.conn_reuse_mode'), kernel],
        remediation:
          fixed === false
            ? 'Upgrade the node kernel to 5.9 or later, then `sysctl -w net.ipv4.vs.conn_reuse_mode=1` (kube-proxy 1.22+ leaves it alone there); until then remove weight-0 real servers when Endpoints change. Verify with `sysctl net.ipv4.vs.conn_reuse_mode`.'
            : 'This kernel has the 5.9 fix: `sysctl -w net.ipv4.vs.conn_reuse_mode=1` (persist in /etc/sysctl.d/; kube-proxy 1.22+ leaves it alone on 5.9+). Verify with `sysctl net.ipv4.vs.conn_reuse_mode`.',
      });
    }
    if (reuse === 1 && fixed === false) {
      out.push({
        message: `net.ipv4.vs.conn_reuse_mode=1 on kernel ${node.kernelRelease} (before 5.9): a SYN that reuses the source port of an old IPVS entry is dropped and the client retransmits after 1 s — busy clients see 1 s latency spikes (kubernetes #70747).`,
        subject: { sysctl: 'net.ipv4.vs.conn_reuse_mode', value: 1 },
        evidence: [sysctlLine(netns, 'net.ipv4.vs.conn_reuse_mode'), kernel],
        remediation:
          'Upgrade the node kernel to 5.9 or later (the fix: f0a5e4d7a594, 35dfb013149f); on this kernel the alternative, conn_reuse_mode=0, sends reused ports to removed real servers. Verify with `uname -r` and a latency check of short connections through a Service.',
      });
    }
    if (nodest === 0) {
      out.push({
        message:
          'net.ipv4.vs.expire_nodest_conn=0: packets of connections whose real server was removed are dropped silently until the entry expires (up to 15 minutes for ESTABLISHED), so clients hang instead of getting an error and reconnecting.',
        subject: { sysctl: 'net.ipv4.vs.expire_nodest_conn', value: 0 },
        evidence: [sysctlLine(netns, 'net.ipv4.vs.expire_nodest_conn'), kernel],
        remediation:
          '`sysctl -w net.ipv4.vs.expire_nodest_conn=1` (persist in /etc/sysctl.d/) so IPVS expires such entries at once. Verify with `sysctl net.ipv4.vs.expire_nodest_conn`.',
      });
    }
    return out;
  },
});
