import { defineCaptureRule } from './define-rule.js';
import { frameEvidence, secondsBetween, wiresharkFilter } from './lib/capture.js';

export default defineCaptureRule({
  id: 'tuple-reused-in-time-wait',
  title: 'A new SYN on a 4-tuple that closed less than 60 s before',
  severity: 'warning',
  check({ capture }) {
    return capture.reusedTuples.map((g) => {
      const a = g.examples[0];
      const prev = a.previous!;
      return {
        message: `${g.count} new connection${g.count === 1 ? '' : 's'} to ${g.server} reused a source port whose previous connection to the same address and port ${prev.closed ? `had closed only ${secondsBetween(prev, a.firstSyn)} before` : 'was still open (no FIN or RST seen)'}, inside TIME_WAIT's 60 s. The client takes over TIME_WAIT ports (tcp_tw_reuse, or a narrow range); anything in between that remembers the old connection — an IPVS connection entry (conn_reuse_mode=0), a conntrack entry, the server's own TIME_WAIT — may treat the SYN as part of it and send it to the old backend (failure 4).`,
        subject: { capture: capture.source, server: g.server, client: a.client, reuses: g.count },
        evidence: [
          frameEvidence(capture, prev, prev.closed ? `${a.client} ↔ ${a.server} previous connection closed` : `${a.client} ↔ ${a.server} previous connection last seen`),
          frameEvidence(capture, a.firstSyn, `${a.client} → ${a.server} SYN of a new connection, ${secondsBetween(prev, a.firstSyn)} later`),
          { source: 'wireshark filter', detail: wiresharkFilter(a) },
        ],
        remediation: `On the client's node run \`netdoctor node --rules ephemeral-port-exhaustion,time-wait-pressure\` (more ports or pooled connections end the reuse); behind IPVS also \`netdoctor node --rules ipvs-conn-reuse-mode,ipvs-stale-real-server\`.`,
      };
    });
  },
});
