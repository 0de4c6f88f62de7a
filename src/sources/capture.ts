import { ToolError } from '../model/errors.js';
import { closeSync, constants, openSync } from 'node:fs';
import { streamRecords } from './fs/stream-file.js';
import { open } from 'node:fs/promises';
import { cleanPaste } from '../parsers/paste.js';
import { forEachLine } from '../parsers/parse-error.js';
import { looksLikeTcpdumpText, parseTcpdumpLine } from '../parsers/tcpdump-text.js';
import { HandshakeTracker, type CaptureFacts } from '../facts/handshakes.js';
import { decodePacket, newDecodedPacket } from '../parsers/packet.js';
import { CaptureReader } from '../parsers/pcap.js';

class CaptureInputError extends ToolError {
  override name = 'CaptureInputError';
}

/** A text capture larger than this is not a paste: capture with `tcpdump -w` instead. */
const MAX_TEXT_CAPTURE = 256 * 1024 * 1024;

/**
 * Streams a capture file (or stdin for `-`) through the reader, the decoder and the handshake tracker. A file
 * that is tcpdump's printed output rather than a pcap is read line by line (evidence then cites lines).
 */
export async function readCapture(path: string): Promise<CaptureFacts> {
  const text = await readIfText(path);
  if (text !== undefined) return readTcpdumpText(text, path === '-' ? 'stdin' : path);
  return readBinaryCapture(path);
}

/** The whole input when it is not a pcap/pcapng file but tcpdump's text output; undefined otherwise. */
async function readIfText(path: string): Promise<string | undefined> {
  if (path === '-') return undefined; // stdin stays a stream of pcap
  let head: Buffer;
  try {
    const h = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await h.stat();
      if (!st.isFile()) return undefined;
      head = Buffer.alloc(Math.min(st.size, 64 * 1024));
      await h.read(head, 0, head.length, 0);
      if (PCAP_MAGICS.includes(head.readUInt32LE(0)) || !looksLikeTcpdumpText(head.toString('latin1')))
        return undefined;
      if (st.size > MAX_TEXT_CAPTURE)
        throw new CaptureInputError(
          `${path}: ${st.size} bytes of tcpdump text, over ${MAX_TEXT_CAPTURE / 1024 / 1024} MiB; capture with tcpdump -w FILE instead`,
        );
      const all = Buffer.alloc(st.size);
      await h.read(all, 0, st.size, 0);
      return all.toString('utf8');
    } finally {
      await h.close();
    }
  } catch (e) {
    if (e instanceof CaptureInputError) throw e;
    return undefined; // let the binary reader say what is wrong
  }
}

const PCAP_MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];

function readTcpdumpText(text: string, source: string): CaptureFacts {
  const tracker = new HandshakeTracker();
  const decoded = newDecodedPacket();
  const cleaned = cleanPaste(text).text;
  let packets = 0;
  let pending = '';
  forEachLine(cleaned, (line, n) => {
    // -v prints the IP header on one line and the TCP part indented on the next: join them
    const joined = pending ? `${pending} ${line.trim()}` : line;
    pending = /\bIP6? \((?:tos|flowlabel) (?:[^()]|\([^()]*\))*\)\s*$/.test(line) ? line.trimEnd() : '';
    if (pending) return;
    const at = parseTcpdumpLine(joined, decoded);
    if (!at) return;
    packets++;
    decoded.number = n;
    decoded.timeUs = at.timeUs;
    tracker.add(decoded);
  });
  if (packets === 0) {
    throw new CaptureInputError(
      `${source}: tcpdump text, but no line is a TCP packet with its flags (tcpdump -q prints none); capture with tcpdump -w FILE, or print without -q`,
    );
  }
  return tracker.facts({
    source,
    format: 'tcpdump text',
    linkTypes: [],
    interfaces: 0,
    packets,
    ...tracker.timeSpan(),
    truncatedBytes: 0,
  });
}

/** A capture file through the one read buffer: records are decoded where they were read. */
function readFileRecords(path: string, reader: CaptureReader): void {
  const fd = openSync(path, 'r');
  try {
    reader.setLeftover(streamRecords(fd, (buf, length) => reader.consume(buf, length)));
  } finally {
    closeSync(fd);
  }
}

async function readBinaryCapture(path: string): Promise<CaptureFacts> {
  const tracker = new HandshakeTracker();
  const decoded = newDecodedPacket();
  const linkTypes = new Set<number>();
  const source = path === '-' ? 'stdin' : path;
  let lastLinkType = -1;
  const reader = new CaptureReader(source, (p) => {
    if (p.linkType !== lastLinkType) linkTypes.add((lastLinkType = p.linkType)); // not a Set lookup per packet
    decodePacket(p.linkType, p.bytes, decoded, p.start, p.end);
    decoded.number = p.number;
    decoded.timeUs = p.timeUs;
    tracker.add(decoded);
  });
  try {
    if (path === '-') for await (const chunk of process.stdin) reader.push(chunk as Buffer);
    else readFileRecords(path, reader);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR')
      throw new CaptureInputError(
        `${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}; give a capture written by tcpdump -w or Wireshark (pcap or pcapng)`,
      );
    throw e;
  }
  const { truncatedBytes } = reader.end();
  return tracker.facts({
    source,
    format: reader.format,
    linkTypes: [...linkTypes],
    interfaces: reader.interfaces.length,
    packets: reader.packetCount,
    ...tracker.timeSpan(),
    truncatedBytes,
  });
}
