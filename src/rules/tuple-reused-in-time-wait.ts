import { derived } from '../model/finding.js';
import { defineCaptureRule } from './define-rule.js';
import { frameEvidence, secondsBetween, wiresharkFilter } from './lib/capture.js';

export default defineCaptureRule({
  id: 'tuple-reused-in-time-wait',
  title: 'A new SYN on a 4-tuple that closed less than 60 s before',
  severity: 'warning',
  check({ capture }) {
    // A SYN answered by a bare ACK: the server still holds a connection on this tuple (RFC 5961 challenge
    // ACK), so the client reused it too early. The capture may not hold the old connection at all.
    const challenged = capture.answeredWithAck.map((g) => {
      const a = g.examples[0];
      return {
        message: `${g.count} SYN${g.count === 1 ? '' : 's'} to ${g.server} ${g.count === 1 ? 'was' : 'were'} answered with a bare ACK instead of a SYN-ACK: the server still holds a connection on that 4-tuple (ESTABLISHED, or TIME_WAIT) and sent a challenge ACK, so the client reused a source port the other end had not released; the client's kernel resets and retries, adding a second or more per connect (failure #4 of docs/failures.md's signature: a reused tuple meeting an old connection).`,
        subject: { capture: capture.source, server: g.server, client: a.client, challengeAcks: g.count },
        evidence: [
          ...(a.previous
            ? [
                frameEvidence(
                  capture,
                  a.previous,
                  `${a.client} ↔ ${a.server} the previous connection on this tuple, ${a.previous.closed ? 'closed' : 'never closed in the capture (no FIN or RST seen)'}`,
                ),
              ]
            : []),
          frameEvidence(capture, a.firstSyn, `${a.client} → ${a.server} SYN`),
          frameEvidence(
            capture,
            a.bareAck!,
            `${a.server} → ${a.client} ACK without SYN: the server's state for this tuple is an older connection`,
          ),
          ...(a.synCount > 1
            ? [frameEvidence(capture, a.lastSyn, `${a.client} → ${a.server} SYN sent ${a.synCount} times`)]
            : []),
          derived('wireshark filter', wiresharkFilter(a)),
        ],
        remediation: `Find who holds the old connection on the server side (\`ss -tan state all '( sport = :${a.server.split(':').pop() ?? ''} )'\` on the server's node): a connection the client abandoned without a FIN or RST reaching the server, or a server-side TIME_WAIT. On the client's node run \`netdoctor node --rules ephemeral-port-exhaustion,time-wait-pressure\`, and behind IPVS \`netdoctor node --rules ipvs-conn-reuse-mode,ipvs-stale-real-server\`.`,
      };
    });
    return [
      ...challenged,
      ...capture.reusedTuples.map((g) => {
        const a = g.examples[0];
        const prev = a.previous!;
        return {
          message: `${g.count} new connection${g.count === 1 ? '' : 's'} to ${g.server} reused a source port whose previous connection to the same address and port ${prev.closed ? `had closed only ${secondsBetween(prev, a.firstSyn)} before` : 'was still open (no FIN or RST seen)'}, inside TIME_WAIT's 60 s. The client takes over TIME_WAIT ports (tcp_tw_reuse, or a narrow range); anything in between that remembers the old connection — an IPVS connection entry (conn_reuse_mode=0), a conntrack entry, the server's own TIME_WAIT — may treat the SYN as part of it and send it to the old backend (failure #4 of docs/failures.md).`,
          subject: { capture: capture.source, server: g.server, client: a.client, reuses: g.count },
          evidence: [
            frameEvidence(
              capture,
              prev,
              prev.closed
                ? `${a.client} ↔ ${a.server} previous connection closed`
                : `${a.client} ↔ ${a.server} previous connection last seen`,
            ),
            frameEvidence(
              capture,
              a.firstSyn,
              `${a.client} → ${a.server} SYN of a new connection, ${secondsBetween(prev, a.firstSyn)} later`,
            ),
            derived('wireshark filter', wiresharkFilter(a)),
          ],
          remediation: `On the client's node run \`netdoctor node --rules ephemeral-port-exhaustion,time-wait-pressure\` (more ports or pooled connections end the reuse); behind IPVS also \`netdoctor node --rules ipvs-conn-reuse-mode,ipvs-stale-real-server\`.`,
        };
      }),
    ];
  },
});
