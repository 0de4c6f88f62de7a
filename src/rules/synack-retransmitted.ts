import { derived } from '../model/finding.js';
import { formatRange } from '../model/port-range.js';
import { defineCaptureRule } from './define-rule.js';
import { handshakeEvidence, portOf, wiresharkFilter } from './lib/capture.js';

export default defineCaptureRule({
  id: 'synack-retransmitted',
  title: 'The server repeated its SYN-ACK and the client never ACKed it: the reply went elsewhere',
  severity: 'error',
  check({ capture, nodePortRange }) {
    return capture.synAckUnacknowledged.map((g) => {
      const a = g.examples[0];
      const nodePortClients = g.examples.filter(
        (x) => portOf(x.client) >= nodePortRange.lo && portOf(x.client) <= nodePortRange.hi,
      );
      return {
        message: `${g.count} handshake${g.count === 1 ? '' : 's'} with ${g.server}: the server answered the SYN and retransmitted its SYN-ACK (${a.synAckCount} times for ${a.client}), but no ACK came back. The SYN-ACK did not reach the client socket: on a Kubernetes node this is failure #2 of docs/failures.md, a source port inside the NodePort range whose reply is captured by a NodePort Service (kube-proxy IPVS or iptables) and sent to another pod.${nodePortClients.length > 0 ? ` Here the client port${nodePortClients.length > 1 ? 's' : ''} ${nodePortClients.map((x) => portOf(x.client)).join(', ')} ${nodePortClients.length > 1 ? 'are' : 'is'} in the NodePort range ${formatRange(nodePortRange)}.` : ''}`,
        subject: {
          capture: capture.source,
          server: g.server,
          client: a.client,
          attempts: g.count,
          clientPortIsNodePort: nodePortClients.length > 0,
        },
        evidence: [...handshakeEvidence(capture, a), derived('wireshark filter', wiresharkFilter(a))],
        remediation: `On the client's node run \`netdoctor node --rules ephemeral-range-overlaps-nodeports,source-port-is-nodeport\`; reserve the NodePort range there (\`sysctl -w net.ipv4.ip_local_reserved_ports=${formatRange(nodePortRange)}\`, persisted in /etc/sysctl.d) or move ip_local_port_range clear of it.`,
      };
    });
  },
});
