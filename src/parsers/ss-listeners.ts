import { ParseError, UnreadLines, numberedLines } from './parse-error.js';

/** A listening socket as `ss -Hltn` shows it: the accept queue now and its limit (the backlog). */
export interface SsListener {
  local: string;
  ip: string;
  port: number;
  acceptQueue: number;
  backlog: number;
  line: number;
  raw: string;
}

/**
 * `ss -Hltn` (or with a header, or with -p): "LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:*", or
 * `ss -Htn state listening`: "0 4096 127.0.0.1:8080 0.0.0.0:*". For listeners
 * Recv-Q is the accept queue and Send-Q the backlog; /proc/net/tcp shows only the former.
 */
export function parseSsListeners(text: string, source = 'ss-ltn', unread = new UnreadLines()): SsListener[] {
  const out: SsListener[] = [];
  for (const [n, line] of numberedLines(text))
    unread.guard(n, () => {
      const f = line.trim().split(/\s+/);
      if (f[0] === '' || f[0] === 'State' || f[0] === 'Netid') return;
      // `ss -Htn state listening` (what the collector runs: it asks the kernel for listeners only) prints
      // no State column: "0 4096 127.0.0.1:8080 0.0.0.0:*"
      const stateless = /^\d+$/.test(f[0] ?? '') && /^\d+$/.test(f[1] ?? '') && (f[2] ?? '').includes(':');
      const offset = stateless ? -1 : f[0] === 'tcp' ? 1 : 0;
      if (!stateless && f[offset] !== 'LISTEN') return;
      const [recvQ, sendQ, local] = [f[offset + 1], f[offset + 2], f[offset + 3]];
      if (!/^\d+$/.test(recvQ ?? '') || !/^\d+$/.test(sendQ ?? '') || !local) {
        throw new ParseError(source, n, 'expected "LISTEN <Recv-Q> <Send-Q> <local> <peer>"');
      }
      const colon = local.lastIndexOf(':');
      const port = Number(local.slice(colon + 1));
      if (colon <= 0 || !Number.isInteger(port) || port > 65535)
        throw new ParseError(source, n, `bad local address "${local}"`);
      const ip = local
        .slice(0, colon)
        .replace(/^\[|\]$/g, '')
        .replace(/%.*$/, '');
      out.push({ local, ip, port, acceptQueue: Number(recvQ), backlog: Number(sendQ), line: n, raw: line.trim() });
    });
  return out;
}
