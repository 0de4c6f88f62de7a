import type { DestinationUse } from '../parsers/proc-net-tcp.js';
import { ST_TIME_WAIT, TCP_STATES } from '../parsers/tcp-states.js';
import { formatRange } from '../model/port-range.js';
import type { NetnsFacts } from '../facts/types.js';
import type { NodeRuleContext } from './define-rule.js';

/** A namespace whose socket table was read (the rule's `needs` guarantee it). */
type WithSockets = NodeRuleContext<'sockets'>['netns'];
import { defineRule, describeNetns } from './define-rule.js';
import { derived, type Evidence, type FindingDraft, type Severity } from '../model/finding.js';
import { capped, endpoint, fmt, pct, rangeAssumption, rangeEvidence, sysctlEvidence } from './lib/evidence.js';
import { timeWaitReusable } from './lib/tw-reuse.js';

const WARN = 0.7;
const ERROR = 0.9;

function severityFor(used: number, usable: number): Severity | undefined {
  if (used >= usable || used >= usable * ERROR) return 'error';
  if (used >= usable * WARN) return 'warning';
  return undefined;
}

function stateBreakdown(states: Uint32Array): string {
  const parts: string[] = [];
  states.forEach((n, st) => {
    if (n > 0) parts.push(`${TCP_STATES[st] ?? `state ${st}`} ${fmt(n)}`);
  });
  return parts.join(', ');
}

function remedy(netns: NetnsFacts, d: { remoteIp: string; remotePort: number }): string {
  const dest = endpoint(d.remoteIp, d.remotePort);
  const widen = netns.meta.isHost
    ? 'widen the node\'s range and keep NodePorts out of it: `sysctl -w net.ipv4.ip_local_port_range="10240 65535"` plus `sysctl -w net.ipv4.ip_local_reserved_ports=30000-32767` (persist both in /etc/sysctl.d/)'
    : 'widen the range in the pod with the safe sysctl `securityContext: {sysctls: [{name: net.ipv4.ip_local_port_range, value: "10240 65535"}]}`';
  return (
    `Reuse connections to ${dest} (HTTP keep-alive or a connection pool) instead of opening one per request, ` +
    `spread the load over more destination addresses or source IPs, or ${widen}. ` +
    `Verify with \`ss -tan dst ${d.remoteIp} dport = :${d.remotePort} | wc -l\` staying well below the usable port count.`
  );
}

function perDestination(
  netns: NetnsFacts,
  d: DestinationUse,
  usable: number,
  listenerHeld: number[],
): FindingDraft | undefined {
  const tw = d.states[ST_TIME_WAIT] ?? 0;
  const twReusable = tw > 0 && timeWaitReusable(netns, d.localIp, d.remoteIp);
  const used = d.total - (twReusable ? tw : 0);
  const severity = severityFor(used, usable);
  if (!severity) return undefined;
  const dest = endpoint(d.remoteIp, d.remotePort);
  const full = used >= usable;
  const message = full
    ? `Ephemeral ports from ${d.localIp} to ${dest} are used up in ${describeNetns(netns)}: ${fmt(used)} of ${fmt(usable)} usable ports hold a connection, so the next connect() fails with EADDRNOTAVAIL (Cannot assign requested address).`
    : `${pct(used, usable)} of the ephemeral ports from ${d.localIp} to ${dest} are in use in ${describeNetns(netns)} (${fmt(used)} of ${fmt(usable)} usable); at 100% connect() fails with EADDRNOTAVAIL.`;
  const evidence: Evidence[] = [
    derived(
      d.source,
      `${fmt(d.total)} sockets ${d.localIp} → ${dest} hold a local port in ${formatRange(netns.ephemeral.range)}: ${stateBreakdown(d.states)}`,
    ),
    derived(d.source, `e.g. ${d.sample}`),
    ...rangeEvidence(netns),
  ];
  if (listenerHeld.length > 0) {
    evidence.push(
      derived(
        '/proc/net/tcp',
        `${fmt(listenerHeld.length)} listening socket(s) hold ports in the range (${listenerHeld.slice(0, 10).join(', ')}${listenerHeld.length > 10 ? ', …' : ''}), taken from every destination`,
      ),
    );
  }
  if (tw > 0) {
    const reuse = sysctlEvidence(netns, 'net.ipv4.tcp_tw_reuse');
    evidence.push(
      derived(
        reuse ? 'sysctl' : 'kernel default',
        `${reuse?.detail ?? 'net.ipv4.tcp_tw_reuse = 2'}: the ${fmt(tw)} TIME_WAIT socket(s) to ${dest} ${twReusable ? 'can be reused and are not counted' : 'cannot be reused and hold their ports for 60 s'}`,
      ),
    );
  }
  return {
    severity,
    message: message + rangeAssumption(netns).note,
    subject: {
      localIp: d.localIp,
      remoteIp: d.remoteIp,
      remotePort: d.remotePort,
      used,
      usable,
      ...rangeAssumption(netns).subject,
    },
    evidence,
    remediation: remedy(netns, d),
  };
}

/**
 * Ports held by any socket take the port from bind(0) everywhere: when (nearly) every usable port is
 * held, clients that bind before connect (busybox/openbsd nc, some RPC clients) fail with EADDRINUSE
 * even though connect() could still share ports across destinations.
 */
function rangeWide(netns: WithSockets, usableTotal: number, listenerHeld: number[]): FindingDraft | undefined {
  const { bitmap, range } = netns.ephemeral;
  // each held port takes a socket: a namespace with fewer sockets than the threshold cannot reach it
  if (listenerHeld.length + netns.sockets.sockets < usableTotal * ERROR) return undefined;
  let held = listenerHeld.length;
  const listening = new Set(listenerHeld);
  for (const [p] of netns.sockets.localPortUse.used())
    if (p >= range.lo && p <= range.hi && bitmap[p] === 1 && !listening.has(p)) held++;
  if (held < usableTotal * ERROR) return undefined;
  const full = held >= usableTotal;
  return {
    severity: full ? 'error' : 'warning',
    message: `${full ? 'Every' : pct(held, usableTotal) + ' of the'} usable ephemeral port${full ? '' : 's'} in ${describeNetns(netns)} ${full ? 'is' : 'are'} held by a socket (${fmt(held)} of ${fmt(usableTotal)}): bind() to port 0 and clients that bind before connecting fail with EADDRINUSE (Address in use).${rangeAssumption(netns).note}`,
    subject: { scope: 'all-destinations', held, usable: usableTotal, ...rangeAssumption(netns).subject },
    evidence: [
      derived(
        netns.sockets.sources.join(', '),
        `${fmt(held)} distinct local ports in ${formatRange(range)} are held by sockets to ${fmt(netns.sockets.destinations.length)} destinations${listenerHeld.length ? ` and ${listenerHeld.length} listener(s)` : ''}`,
      ),
      ...capped(
        netns.sockets.destinations.slice(0, 5),
        5,
        (d) => derived(d.source, `${fmt(d.total)} sockets ${d.localIp} → ${endpoint(d.remoteIp, d.remotePort)}`),
        '/proc/net/tcp',
      ),
      ...rangeEvidence(netns),
    ],
    remediation:
      'Find the process that binds before connecting (`ss -tanp` shows it) and let it connect without bind() or set IP_BIND_ADDRESS_NO_PORT, reuse connections, or widen net.ipv4.ip_local_port_range. Verify with `ss -tan | wc -l` against the usable port count.',
  };
}

export default defineRule({
  id: 'ephemeral-port-exhaustion',
  title: 'Ephemeral ports to one destination are running out',
  severity: 'error',
  needs: ['sockets'],
  scope: 'netns',
  check({ netns }) {
    const { bitmap, usable } = netns.ephemeral;
    const listenerHeld = [
      ...new Set(netns.sockets.listeners.filter((l) => bitmap[l.port] === 1).map((l) => l.port)),
    ].sort((a, b) => a - b);
    const usableForConnect = Math.max(usable - listenerHeld.length, 0);
    const findings: FindingDraft[] = [];
    for (const d of netns.sockets.destinations) {
      const f = perDestination(netns, d, usableForConnect, listenerHeld);
      if (f) findings.push(f);
    }
    if (!findings.some((f) => f.severity === 'error')) {
      const wide = rangeWide(netns, usable, listenerHeld);
      if (wide) findings.push(wide);
    }
    return findings;
  },
});
