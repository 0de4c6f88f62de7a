import { defineCaptureRule } from './define-rule.js';
import { frameEvidence } from './lib/capture.js';

export default defineCaptureRule({
  id: 'timestamps-non-monotonic-per-source',
  title: 'One source address whose SYN timestamps go backwards: several hosts behind one NAT address',
  severity: 'warning',
  check({ capture }) {
    return capture.timestampSources
      .filter((s) => s.backwards > 0)
      .map((s) => {
        // every connection on its own clock: per-connection random offsets, which hide how many hosts there are
        const perConnection = s.clocks >= s.connections;
        const who = perConnection
          ? `each of its ${s.connections} connections starts from its own timestamp clock: a client stack that randomises the offset per connection (Linux tcp_timestamps=1 on current kernels does), or as many hosts behind one address`
          : `they come from at least ${s.clocks} different clocks over ${s.connections} connections: several hosts behind one address (a NAT or SNAT, a load balancer, kube-proxy's MASQUERADE for externalTrafficPolicy: Cluster)`;
        return {
          severity: perConnection ? ('info' as const) : undefined,
          message: `SYNs from ${s.address} carry TCP timestamps (TSval) that go backwards ${s.backwards} time${s.backwards === 1 ? '' : 's'} in ${s.syns} SYNs; ${who}. A server with tcp_tw_recycle=1 (kernels before 4.12) drops such SYNs silently and those clients time out (failure #5 of docs/failures.md).`,
          subject: {
            capture: capture.source,
            source: s.address,
            backwards: s.backwards,
            syns: s.syns,
            connections: s.connections,
            clocks: s.clocks,
          },
          evidence: s.examples.flatMap((e) => [
            frameEvidence(capture, e.earlier, `${s.address}:${e.earlier.port} SYN TSval=${e.earlier.tsval}`),
            frameEvidence(
              capture,
              e.later,
              `${s.address}:${e.later.port} SYN TSval=${e.later.tsval}, ${(e.earlier.tsval - e.later.tsval) >>> 0} lower`,
            ),
          ]),
          remediation:
            'On the servers these SYNs reach, run `netdoctor node --rules tcp-tw-recycle-nat` and set `net.ipv4.tcp_tw_recycle=0` wherever it exists (it is gone from Linux 4.12); keep tcp_timestamps on.',
        };
      });
  },
});
