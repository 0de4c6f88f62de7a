import { derived } from '../model/finding.js';
import { defineCaptureRule } from './define-rule.js';
import { handshakeEvidence, secondsBetween, wiresharkFilter } from './lib/capture.js';

/** Linux's initial retransmission timeout is 1 s (TCP_TIMEOUT_INIT, RFC 6298); 3 s on old stacks. */
const LO_US = 800_000;
const HI_US = 1_500_000;

export default defineCaptureRule({
  id: 'syn-retransmit-1s',
  title: 'Connections established only after the first SYN was lost and retransmitted ~1 s later',
  severity: 'warning',
  check({ capture }) {
    return capture.retransmittedThenEstablished.flatMap((g) => {
      const oneSecond = g.examples.filter(
        (a) =>
          a.secondSyn &&
          a.secondSyn.timeUs - a.firstSyn.timeUs >= LO_US &&
          a.secondSyn.timeUs - a.firstSyn.timeUs <= HI_US,
      );
      const a = oneSecond[0];
      if (!a) return [];
      return [
        {
          message: `${g.count} connection${g.count === 1 ? '' : 's'} to ${g.server} succeeded only after the first SYN went unanswered and was retransmitted ${secondsBetween(a.firstSyn, a.secondSyn!)} later: every such request is 1 s slower. Behind IPVS on kernels before 5.9 with conn_reuse_mode=1 this is the known drop of a SYN that hits an old connection entry (kubernetes #70747); elsewhere, a lost first SYN (a full SYN queue, conntrack insert races, a flapping path).`,
          subject: { capture: capture.source, server: g.server, attempts: g.count },
          evidence: [...handshakeEvidence(capture, a), derived('wireshark filter', wiresharkFilter(a))],
          remediation:
            'On the node in front of the server run `netdoctor node --rules ipvs-conn-reuse-mode,conntrack-table-pressure,listen-queue-overflow`; with IPVS on a kernel before 5.9, upgrade the kernel (5.9+) rather than set conn_reuse_mode=0, which sends reused ports to terminating pods.',
        },
      ];
    });
  },
});
