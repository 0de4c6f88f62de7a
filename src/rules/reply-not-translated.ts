import { derived } from '../model/finding.js';
import { defineCaptureRule } from './define-rule.js';
import { frameEvidence, inFrameOrder, wiresharkFilter } from './lib/capture.js';

/**
 * The capture shows a SYN to one address and the same SYN (same client port, same sequence number) DNAT-ed to
 * another, that one answering from its own address, and the client resetting that answer: the reply was not
 * translated back, so the client saw a SYN-ACK from an address it never called. Real: kubernetes#122174
 * (tcpdump on cni0), the shape thockin names in kubernetes#38802. The usual cause is a pod calling a Service
 * whose endpoint sits on the same bridge, with bridge traffic not passing iptables (br_netfilter not loaded or
 * net.bridge.bridge-nf-call-iptables=0), so conntrack never sees the reply to undo the DNAT.
 */
export default defineCaptureRule({
  id: 'reply-not-translated',
  title: 'A Service reply reached the client untranslated (from the pod address) and was reset',
  severity: 'error',
  check({ capture }) {
    return capture.replyNotTranslated.map((g) => {
      const a = g.examples[0];
      const evidence = inFrameOrder([
        frameEvidence(
          capture,
          a.firstSyn,
          `${a.client} → ${a.server} SYN, the DNAT-ed copy of the SYN to ${a.translatedFrom ?? g.key} (same client port and sequence number)`,
        ),
        ...(a.firstSynAck
          ? [
              frameEvidence(
                capture,
                a.firstSynAck,
                `${a.server} → ${a.client} SYN-ACK from the backend's own address, not ${a.translatedFrom ?? g.key}`,
              ),
            ]
          : []),
        ...(a.clientReset
          ? [
              frameEvidence(
                capture,
                a.clientReset,
                `${a.client} → ${a.server} RST: the client does not know a connection with ${a.server}`,
              ),
            ]
          : []),
      ]);
      evidence.push(derived('wireshark filter', wiresharkFilter(a)));
      return {
        message: `${g.count} connection${g.count === 1 ? '' : 's'} to ${g.key} ${g.count === 1 ? 'was' : 'were'} DNAT-ed to a backend (${a.server}) whose SYN-ACK reached the client with the backend's address instead of ${g.key}, so the client reset it: the reply was not translated back. Typical when a pod calls a Service whose endpoint is on the same node's bridge and bridged traffic skips iptables (br_netfilter not loaded, or net.bridge.bridge-nf-call-iptables=0), so conntrack never un-DNATs the reply.`,
        subject: { capture: capture.source, service: g.key, backend: a.server, client: a.client, connections: g.count },
        evidence,
        remediation:
          "On the node: `modprobe br_netfilter` and `sysctl -w net.bridge.bridge-nf-call-iptables=1` (and bridge-nf-call-ip6tables for IPv6), persisted in /etc/modules-load.d/ and /etc/sysctl.d/ (kubeadm's preflight requires both); with a CNI that uses a bridge, check its hairpin mode too. Verify with `sysctl net.bridge.bridge-nf-call-iptables` printing 1 and a new capture showing the SYN-ACK from the Service address.",
      };
    });
  },
});
