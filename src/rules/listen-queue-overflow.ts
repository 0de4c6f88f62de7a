import type { NetnsFacts } from '../facts/types.js';
import { defineRule, describeNetns } from './define-rule.js';
import { derived, readLine, type Evidence, type FindingDraft } from '../model/finding.js';
import { endpoint, fmt, perSecond, rises, sysctlEvidence } from './lib/evidence.js';

interface Suspect {
  address: string;
  queue: number;
  backlog?: number;
  evidence: Evidence;
}

/**
 * The listener(s) whose accept queue is full or filling. `ss -ltn` knows each backlog (accept queue full
 * when Recv-Q > Send-Q); /proc/net/tcp only knows the queue length, so without ss the longest queues are
 * the suspects.
 */
function suspects(netns: NetnsFacts): Suspect[] {
  if (netns.ssListeners && netns.ssListeners.length > 0) {
    return netns.ssListeners
      .filter((l) => l.acceptQueue > 0)
      .sort((a, b) => b.acceptQueue / Math.max(b.backlog, 1) - a.acceptQueue / Math.max(a.backlog, 1))
      .map((l) => ({
        address: l.local,
        queue: l.acceptQueue,
        backlog: l.backlog,
        evidence: readLine('ss -ltn', l.raw),
      }));
  }
  return (netns.sockets?.listeners ?? [])
    .filter((l) => l.acceptQueue > 0)
    .sort((a, b) => b.acceptQueue - a.acceptQueue)
    .map((l) => ({
      address: endpoint(l.ip, l.port),
      queue: l.acceptQueue,
      evidence: readLine(l.source, l.line),
    }));
}

function describe(s: Suspect): string {
  if (s.backlog === undefined) return `${s.address} (${s.queue} connections waiting for accept())`;
  const full = s.queue > s.backlog;
  return `${s.address} (accept queue ${s.queue}, backlog ${s.backlog}${full ? ': full' : ''})`;
}

export default defineRule({
  id: 'listen-queue-overflow',
  title: "A listener's accept queue overflows",
  severity: 'error',
  needs: ['netstat'],
  scope: 'netns',
  check({ node, netns }) {
    const where = describeNetns(netns);
    const deltas = rises(netns.first.netstat, netns.later.netstat);
    const list = suspects(netns);
    const top = list.slice(0, 3);
    if (!deltas) {
      const total = netns.first.netstat.get('TcpExt.ListenOverflows') ?? 0;
      if (total === 0) return [];
      return [
        {
          severity: 'info',
          message: `${where} has counted ${fmt(total)} accept-queue overflows since boot; one sample cannot tell whether they are happening now.`,
          subject: { listenOverflows: total },
          evidence: [
            derived('/proc/net/netstat', `TcpExt.ListenOverflows = ${fmt(total)}`),
            ...top.map((s) => s.evidence),
          ],
          remediation: 'Run `netdoctor node --interval 10s` to see whether the counter is rising.',
        },
      ];
    }
    const overflows = deltas.get('TcpExt.ListenOverflows') ?? 0;
    const drops = deltas.get('TcpExt.ListenDrops') ?? 0;
    if (overflows === 0 && drops === 0) return [];
    const seconds = (node.intervalMs / 1000).toFixed(1);
    const counterEvidence: Evidence[] = [
      derived(
        '/proc/net/netstat',
        `TcpExt.ListenOverflows rose by ${fmt(overflows)} in ${seconds} s (${perSecond(overflows, node.intervalMs)})`,
      ),
      derived('/proc/net/netstat', `TcpExt.ListenDrops rose by ${fmt(drops)} in ${seconds} s`),
    ];
    const out: FindingDraft[] = [];
    if (overflows > 0) {
      const full = top.filter((s) => s.backlog === undefined || s.queue > s.backlog);
      const named = full.length > 0 ? full : top;
      const [worst] = named;
      out.push({
        message:
          named.length > 0
            ? `Connections to ${named.map(describe).join(', ')} in ${where} are dropped: the accept queue is full (ListenOverflows +${fmt(overflows)} in ${seconds} s), so clients' SYNs and ACKs go unanswered and they retry or time out.`
            : `${where} drops connections because an accept queue is full (ListenOverflows +${fmt(overflows)} in ${seconds} s); no listener had a queue when the socket table was read.`,
        subject: {
          cause: 'accept-queue',
          ...(worst
            ? { listener: worst.address, acceptQueue: worst.queue, backlog: worst.backlog }
            : { listenOverflows: overflows }),
        },
        evidence: [...counterEvidence, ...named.map((s) => s.evidence)],
        remediation:
          'Make the application accept() faster (more workers, no blocking in the accept loop) or give it a longer queue: raise the listen() backlog and net.core.somaxconn together (`sysctl -w net.core.somaxconn=4096`; in a pod via securityContext.sysctls with kubelet --allowed-unsafe-sysctls). Verify with `ss -ltn` (Recv-Q staying below Send-Q) and `nstat -az TcpExtListenOverflows`.',
      });
    }
    // ListenDrops counts every SYN a listener dropped: overflows, PAWS rejects (tcp_tw_recycle, pre-4.12
    // kernels) and the rest (SYN queue full without syncookies, memory, LSM). Name each cause that rose.
    const paws = deltas.get('TcpExt.PAWSPassive') ?? 0;
    if (paws > 0) {
      out.push({
        message: `SYNs to listening sockets in ${where} are rejected by the PAWS check (PAWSPassive +${fmt(paws)} in ${seconds} s, ListenDrops +${fmt(drops)}): tcp_tw_recycle with TCP timestamps drops SYNs from clients behind NAT whose timestamp clock is behind another client's.`,
        subject: { cause: 'paws', pawsPassive: paws, listenDrops: drops },
        evidence: [
          ...counterEvidence,
          derived('/proc/net/netstat', `TcpExt.PAWSPassive rose by ${fmt(paws)} in ${seconds} s`),
          ...[
            sysctlEvidence(netns, 'net.ipv4.tcp_tw_recycle'),
            sysctlEvidence(netns, 'net.ipv4.tcp_timestamps'),
          ].filter((e): e is Evidence => e !== undefined),
        ],
        remediation:
          '`sysctl -w net.ipv4.tcp_tw_recycle=0` and remove it from /etc/sysctl.d/ (see the tcp-tw-recycle-nat rule). Verify with `nstat -az TcpExtPAWSPassive` no longer rising.',
      });
    }
    const other = drops - overflows - paws;
    if (other > 0) {
      const reqQFull = deltas.get('TcpExt.TCPReqQFullDrop');
      out.push({
        severity: 'warning',
        message: `${fmt(other)} SYN(s) to listening sockets in ${where} were dropped for another reason than a full accept queue${paws > 0 ? ' or PAWS' : ''} (ListenDrops +${fmt(drops)}, ListenOverflows +${fmt(overflows)}${paws > 0 ? `, PAWSPassive +${fmt(paws)}` : ''} in ${seconds} s): ${reqQFull ? `a full SYN queue (TCPReqQFullDrop +${fmt(reqQFull)})` : 'SYN-queue pressure without syncookies, memory limits or a security module'}.`,
        subject: { cause: reqQFull ? 'syn-queue' : 'other', listenDrops: drops, other },
        evidence: [
          ...counterEvidence,
          ...(reqQFull !== undefined
            ? [derived('/proc/net/netstat', `TcpExt.TCPReqQFullDrop rose by ${fmt(reqQFull)} in ${seconds} s`)]
            : []),
        ],
        remediation:
          'Check `sysctl net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies` (enable syncookies, raise the SYN backlog with the listen() backlog) and `nstat -az TcpExtTCPReqQFullDrop TcpExtTCPReqQFullDoCookies`. Verify with ListenDrops no longer rising.',
      });
    }
    return out;
  },
});
