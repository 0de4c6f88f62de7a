import { derived } from '../model/finding.js';
import { defineCaptureRule } from './define-rule.js';
import { handshakeEvidence, wiresharkFilter } from './lib/capture.js';

export default defineCaptureRule({
  id: 'syn-unanswered',
  title: 'SYNs that got no answer at all: no SYN-ACK, no RST, no ICMP',
  severity: 'error',
  check({ capture }) {
    return capture.unanswered.map((g) => {
      const retried = g.examples.some((a) => a.synCount > 1);
      // three SYNs span 3 s of silence (Linux retries after 1 s, then 2 s more): no longer "maybe in flight"
      const givenUp = g.count >= 3 || g.examples.some((a) => a.synCount >= 3);
      const atEnd =
        !givenUp && capture.lastUs !== undefined && capture.lastUs - g.examples[0].lastSyn.timeUs < 3_000_000;
      return {
        severity: givenUp ? 'error' : 'warning',
        message: `${g.count} connection attempt${g.count === 1 ? '' : 's'} to ${g.server} got no reply at all${retried ? ', although the SYN was retransmitted' : ''}: the SYN was dropped on the way or at the server (a firewall DROP, a NetworkPolicy, a full SYN or accept queue, tcp_tw_recycle's PAWS check, a full conntrack table), or the reply went elsewhere.${atEnd ? ' The capture ended within 3 s of the SYN, so the answer may simply be missing from it.' : ''}`,
        subject: { capture: capture.source, server: g.server, attempts: g.count },
        evidence: [
          ...handshakeEvidence(capture, g.examples[0]),
          derived('wireshark filter', wiresharkFilter(g.examples[0])),
        ],
        remediation: `Capture on the server's node too: if the SYN arrives there, run \`netdoctor node --rules listen-queue-overflow,tcp-tw-recycle-nat,conntrack-table-pressure\` on it; if it does not, look for DROP rules and NetworkPolicies between the two (\`iptables-save -c | grep DROP\`).`,
      };
    });
  },
});
