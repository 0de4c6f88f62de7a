import type { Attempt, CaptureFacts, PacketRef } from '../../facts/handshakes.js';
import type { Evidence } from '../../model/finding.js';

/** Seconds since the first packet, as Wireshark shows them by default. */
function relativeTime(capture: CaptureFacts, ref: PacketRef): string {
  if (ref.timeUs !== ref.timeUs || capture.firstUs === undefined) return 't=?';
  return `t=${((ref.timeUs - capture.firstUs) / 1e6).toFixed(6)}`;
}

/** A packet as evidence: Wireshark's frame number and relative time, then what it was. */
export function frameEvidence(capture: CaptureFacts, ref: PacketRef, detail: string): Evidence {
  // a tcpdump text paste has lines, not frames: cite the line of the paste
  return {
    kind: 'line',
    source: `${capture.format === 'tcpdump text' ? 'line' : 'frame'} ${ref.number}`,
    detail: `${relativeTime(capture, ref)}  ${detail}`,
  };
}

export function secondsBetween(a: PacketRef, b: PacketRef): string {
  return `${((b.timeUs - a.timeUs) / 1e6).toFixed(3)} s`;
}

/** The frames of one attempt's handshake: first SYN, retransmissions, SYN-ACKs. */
export function handshakeEvidence(capture: CaptureFacts, a: Attempt): Evidence[] {
  const out = [frameEvidence(capture, a.firstSyn, `${a.client} → ${a.server} SYN`)];
  if (a.synCount > 1)
    out.push(
      frameEvidence(
        capture,
        a.lastSyn,
        `${a.client} → ${a.server} SYN, sent ${a.synCount} times in all (last one here, ${secondsBetween(a.firstSyn, a.lastSyn)} after the first)`,
      ),
    );
  if (a.firstSynAck) out.push(frameEvidence(capture, a.firstSynAck, `${a.server} → ${a.client} SYN-ACK`));
  if (a.lastSynAck && a.synAckCount > 1)
    out.push(
      frameEvidence(capture, a.lastSynAck, `${a.server} → ${a.client} SYN-ACK, sent ${a.synAckCount} times in all`),
    );
  return out;
}

/** "Open in Wireshark with the filter …" for one attempt. */
export function wiresharkFilter(a: Attempt): string {
  const [cip, cport] = splitEndpoint(a.client);
  const [sip, sport] = splitEndpoint(a.server);
  const v = cip.includes(':') ? 'ipv6' : 'ip';
  return `${v}.addr==${cip} && tcp.port==${cport} && ${v}.addr==${sip} && tcp.port==${sport}`;
}

function splitEndpoint(e: string): [string, string] {
  const i = e.lastIndexOf(':');
  return [e.slice(0, i).replace(/^\[|\]$/g, ''), e.slice(i + 1)];
}

export function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}

/** Frames in capture order, the other evidence after them. */
export function inFrameOrder(evidence: Evidence[]): Evidence[] {
  const frame = (e: Evidence) => (/^(frame|line) \d+$/.test(e.source) ? Number(e.source.split(' ')[1]) : Infinity);
  return [...evidence].sort((a, b) => frame(a) - frame(b));
}
