import { ToolError } from '../model/errors.js';
import { createReadStream } from 'node:fs';
import { HandshakeTracker, type CaptureFacts } from '../facts/handshakes.js';
import { decodePacket, newDecodedPacket } from '../parsers/packet.js';
import { CaptureReader } from '../parsers/pcap.js';

export class CaptureInputError extends ToolError {
  override name = 'CaptureInputError';
}

/** Streams a capture file (or stdin for `-`) through the reader, the decoder and the handshake tracker. */
export async function readCapture(path: string): Promise<CaptureFacts> {
  const tracker = new HandshakeTracker();
  const decoded = newDecodedPacket();
  const linkTypes = new Set<number>();
  let firstUs: number | undefined;
  let lastUs: number | undefined;
  const source = path === '-' ? 'stdin' : path;
  const reader = new CaptureReader(source, (p) => {
    linkTypes.add(p.linkType);
    if (p.timeUs === p.timeUs) {
      firstUs ??= p.timeUs;
      lastUs = p.timeUs;
    }
    tracker.add(decodePacket(p.linkType, p.data, decoded), { number: p.number, timeUs: p.timeUs });
  });
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) reader.push(chunk as Buffer);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') throw new CaptureInputError(`${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}; give a capture written by tcpdump -w or Wireshark (pcap or pcapng)`);
    throw e;
  }
  const { truncatedBytes } = reader.end();
  return tracker.facts({ source, format: reader.format, linkTypes: [...linkTypes], interfaces: reader.interfaces.length, packets: reader.packetCount, firstUs, lastUs, truncatedBytes });
}
