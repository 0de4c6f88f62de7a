/**
 * Writes a /proc/net/tcp as Linux prints it (lines padded to 149 columns, little-endian addresses):
 * SOCKETS sockets from 10.244.1.5 to DESTINATIONS Service addresses 10.96.0.x:443, ESTABLISHED and
 * TIME_WAIT, local ports from the default ephemeral range, plus a few listeners. Returns what it wrote per
 * destination, which the benchmark checks the findings against.
 */
import { createWriteStream } from 'node:fs';

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
const le = (a: number, b: number, c: number, d: number) => hex(((d << 24) >>> 0) + (c << 16) + (b << 8) + a, 8);

export interface Written {
  /** "10.96.0.7" → sockets to it, and how many of them are TIME_WAIT */
  perDestination: Map<string, { sockets: number; timeWait: number }>;
}

export async function generate(path: string, sockets: number, destinations: number): Promise<Written> {
  const out = createWriteStream(path);
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  let chunk = header.padEnd(149) + '\n';
  const local = le(10, 244, 1, 5);
  const perDestination = new Map<string, { sockets: number; timeWait: number }>();
  for (let i = 0; i < sockets; i++) {
    const dest = i % destinations;
    const port = 32768 + (Math.floor(i / destinations) % 28232);
    const state = i % 10 === 0 ? '06' : '01';
    const line = `${String(i).padStart(4)}: ${local}:${hex(port, 4)} ${le(10, 96, 0, dest + 1)}:01BB ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`;
    const counted = perDestination.get(`10.96.0.${dest + 1}`) ?? { sockets: 0, timeWait: 0 };
    counted.sockets++;
    if (state === '06') counted.timeWait++;
    perDestination.set(`10.96.0.${dest + 1}`, counted);
    chunk += line.padEnd(149) + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', () => r(undefined)));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r) => out.once('finish', () => r(undefined)));
  return { perDestination };
}
