import { majorMinor } from '../knowledge/versions.js';
import { endpointKey, type RealServer, type VirtualService } from '../parsers/ipvs.js';
import { sysctlNumber } from '../parsers/sysctl.js';
import { defineRule, type Evidence, type FindingDraft } from './define-rule.js';
import { fmt, sysctlEvidence } from './lib/evidence.js';

/** A SYN pinned to a weight-0 real server: the entry was reused for a new handshake. */
const NEW_HANDSHAKE = ['SYN_RECV', 'SYN_SENT', 'SYNACK'];

export default defineRule({
  id: 'ipvs-stale-real-server',
  title: 'IPVS keeps sending traffic to a real server that was removed (weight 0)',
  severity: 'error',
  needs: ['ipvs'],
  scope: 'netns',
  check({ node, netns }) {
    const { table, later, conns } = netns.ipvs;
    const out: FindingDraft[] = [];
    const reuseMode = netns.sysctls ? sysctlNumber(netns.sysctls, 'net.ipv4.vs.conn_reuse_mode') : undefined;
    for (const svc of table!.services) {
      for (const real of svc.reals) {
        if (real.weight !== 0) continue;
        const held = (real.active ?? 0) + (real.inactive ?? 0);
        const key = endpointKey(real.address, real.port);
        const entries = conns?.byDestination.get(key);
        if (held === 0 && !entries) continue;
        const stillThere = later ? findReal(later.services, svc.key, key) : undefined;
        const pinned = NEW_HANDSHAKE.reduce((n, s) => n + (entries?.byState[s] ?? 0), 0);
        const evidence: Evidence[] = [
          { source: table!.source, line: svc.line, detail: svc.text },
          { source: table!.source, line: real.line, detail: real.text },
        ];
        if (stillThere) {
          const heldLater = (stillThere.active ?? 0) + (stillThere.inactive ?? 0);
          evidence.push({ source: later!.source, line: stillThere.line, detail: stillThere.text });
          evidence.push({ source: 'samples', detail: `weight 0 in both samples ${(node.intervalMs / 1000).toFixed(1)} s apart; connections ${fmt(held)} → ${fmt(heldLater)}` });
        }
        if (entries) {
          const states = Object.entries(entries.byState).map(([s, n]) => `${s} ${fmt(n)}`).join(', ');
          evidence.push({ source: conns!.source, detail: `${fmt(entries.total)} ${entries.total === 1 ? 'entry' : 'entries'} toward ${key}: ${states}; the last expires in ${fmt(entries.maxExpires)} s` });
          for (const s of NEW_HANDSHAKE) {
            const sample = entries.samples.get(s);
            if (sample) evidence.push({ source: conns!.source, line: sample.line, detail: sample.text });
          }
        }
        const reuse = sysctlEvidence(netns, 'net.ipv4.vs.conn_reuse_mode');
        if (reuse) evidence.push(reuse);
        const nodest = sysctlEvidence(netns, 'net.ipv4.vs.expire_nodest_conn');
        if (nodest) evidence.push(nodest);
        if (node.kernelRelease) evidence.push({ source: 'uname -r', detail: node.kernelRelease });
        out.push({
          severity: pinned > 0 ? 'error' : reuseMode === 0 ? 'warning' : 'info',
          message: message(svc, key, held, pinned, reuseMode, entries?.maxExpires),
          subject: { service: svc.key, realServer: key, weight: 0, connections: held, ...(pinned > 0 ? { newHandshakes: pinned } : {}) },
          evidence,
          remediation: remediation(node.kernelRelease),
        });
      }
    }
    return out;
  },
});

function findReal(services: VirtualService[], svcKey: string, realKey: string): RealServer | undefined {
  const svc = services.find((s) => s.key === svcKey);
  return svc?.reals.find((r) => r.weight === 0 && endpointKey(r.address, r.port) === realKey);
}

function message(svc: VirtualService, key: string, held: number, pinned: number, reuseMode: number | undefined, maxExpires: number | undefined): string {
  const base = `IPVS service ${svc.key} keeps real server ${key} at weight 0 (a removed endpoint, e.g. a pod deleted in a rolling update) with ${fmt(held)} connection(s)`;
  if (pinned > 0) {
    return `${base}, and ${fmt(pinned)} new handshake(s) were sent to it: a client reused a source port of an old connection entry, IPVS matched the entry and forwarded the SYN to the deleted pod (502s / "No route to host" until the entry expires${maxExpires ? `, up to ${fmt(maxExpires)} s` : ''}).`;
  }
  if (reuseMode === 0) {
    return `${base}; with conn_reuse_mode=0 any client that reuses a source port of those entries is sent to it (502s / "No route to host") until they expire.`;
  }
  return `${base}: kube-proxy drains it and deletes it once the connections are gone.`;
}

function remediation(kernelRelease: string | undefined): string {
  const v = majorMinor(kernelRelease);
  const kernel = v ? ` (this node runs ${v.join('.')})` : '';
  return `Let IPVS stop matching old entries: kernel 5.9 fixed the SYN delay that made kube-proxy choose conn_reuse_mode=0${kernel}; there set \`sysctl -w net.ipv4.vs.conn_reuse_mode=1\` and \`sysctl -w net.ipv4.vs.expire_nodest_conn=1\` (kube-proxy 1.22+ leaves them alone on 5.9+). On older kernels, remove weight-0 real servers when Endpoints change (\`ipvsadm -d -t VIP:PORT -r POD:PORT\`, as the incident's authors did with a DaemonSet), at the cost of resetting the old pod's in-flight connections instead of draining them. Verify with \`ipvsadm -Ln | grep ' 0 '\` showing no weight-0 real servers with connections.`;
}
