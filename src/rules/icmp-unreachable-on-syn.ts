import { derived } from '../model/finding.js';
import { defineCaptureRule } from './define-rule.js';
import { frameEvidence, handshakeEvidence, inFrameOrder, wiresharkFilter } from './lib/capture.js';

/** RFC 792 / RFC 4443 codes as the socket reports them. */
function meaning(type: number, code: number, v6: boolean): string {
  if (v6)
    return (
      [
        'no route to destination (ENETUNREACH)',
        'administratively prohibited (EACCES)',
        'beyond scope',
        'address unreachable: No route to host (EHOSTUNREACH)',
        'port unreachable (ECONNREFUSED)',
        'source address failed policy',
        'reject route',
      ][code] ?? `type ${type} code ${code}`
    );
  return (
    {
      0: 'network unreachable (ENETUNREACH)',
      1: 'host unreachable: No route to host (EHOSTUNREACH)',
      3: 'port unreachable (ECONNREFUSED)',
      9: 'network administratively prohibited',
      10: 'host administratively prohibited',
      13: 'communication administratively prohibited (iptables REJECT --reject-with icmp-admin-prohibited)',
    }[code] ?? `type ${type} code ${code}`
  );
}

export default defineCaptureRule({
  id: 'icmp-unreachable-on-syn',
  title: 'A SYN answered by ICMP destination unreachable ("No route to host")',
  severity: 'error',
  check({ capture }) {
    return capture.icmpUnreachable.map((g) => {
      const a = g.examples[0];
      const icmp = a.icmp!;
      const v6 = a.server.startsWith('[');
      const what = meaning(icmp.type, icmp.code, v6);
      return {
        message: `${g.count} SYN${g.count === 1 ? '' : 's'} to ${g.server} answered by ICMP${v6 ? 'v6' : ''} ${what} from ${icmp.from}: the client fails at once. Behind a Service this is failure #4 of docs/failures.md: IPVS (or a stale conntrack entry) still sends new connections to a pod that is gone, and the node answers for the dead pod IP; a REJECT rule gives the same picture.`,
        subject: {
          capture: capture.source,
          server: g.server,
          icmp: `${icmp.type}/${icmp.code}`,
          from: icmp.from,
          attempts: g.count,
        },
        evidence: inFrameOrder([
          ...handshakeEvidence(capture, a),
          frameEvidence(
            capture,
            icmp,
            `${icmp.from} → ${a.client} ICMP${v6 ? 'v6' : ''} ${icmp.type}/${icmp.code} ${what}, quoting the SYN`,
          ),
          derived('wireshark filter', wiresharkFilter(a)),
        ]),
        remediation: `Check that ${g.server} is a live endpoint: \`kubectl get endpointslices -A -o wide | grep ${g.server.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')}\`; on the node that sent the ICMP run \`netdoctor node --rules ipvs-stale-real-server,ipvs-conn-reuse-mode\` and \`iptables-save | grep REJECT\`.`,
      };
    });
  },
});
