import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { portBitmap } from '../../src/facts/ephemeral.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { SocketTableScanner, ipv4, ipv6, parseSocketTables } from '../../src/parsers/proc-net-tcp.js';
import { ST_LISTEN } from '../../src/parsers/tcp-states.js';
import { bundleFixture } from '../helpers.js';

const dir = join(bundleFixture('exhaustion'), 'netns/host/proc/net');
const tcp = readFileSync(join(dir, 'tcp'));
const tcp6 = readFileSync(join(dir, 'tcp6'));
const opts = { ephemeral: portBitmap([{ lo: 40000, hi: 40009 }]) };

describe('/proc/net/tcp scanner on tables captured from Linux 6.18', () => {
  const table = parseSocketTables(
    [
      { source: '/proc/net/tcp', content: tcp },
      { source: '/proc/net/tcp6', content: tcp6 },
    ],
    opts,
  );

  it('counts the IPv4 destination and the IPv6 one separately', () => {
    const v4 = table.destinations.find((d) => d.family === 4)!;
    assert.deepEqual(
      [v4.localIp, v4.remoteIp, v4.remotePort, v4.total, v4.states[1]],
      ['127.0.0.1', '127.0.0.1', 8080, 10, 10],
    );
    const v6 = table.destinations.find((d) => d.family === 6)!;
    assert.deepEqual([v6.localIp, v6.remoteIp, v6.remotePort, v6.total], ['::1', '::1', 8443, 3]);
    assert.equal(v6.source, '/proc/net/tcp6');
  });

  it('finds the listeners of both families and leaves them out of port use', () => {
    assert.deepEqual(table.listeners.map((l) => `${l.ip}:${l.port}`).sort(), ['127.0.0.1:8080', '::1:8443']);
    assert.equal(table.byState[ST_LISTEN], 2);
    assert.equal(table.localPortUse.count(8080), 10, 'accepted sockets share the listener port');
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const s = new SocketTableScanner(opts).file('/proc/net/tcp');
    for (let i = 0; i < tcp.length; i += 7) s.push(tcp.subarray(i, i + 7));
    const bytewise = s.result();
    const whole = parseSocketTables([{ source: '/proc/net/tcp', content: tcp }], opts);
    assert.deepEqual(bytewise.destinations, whole.destinations);
    assert.deepEqual([...bytewise.localPortUse.used()], [...whole.localPortUse.used()]);
  });
});

describe('address decoding (FACTS.md §7)', () => {
  it('reads IPv4 byte-reversed on little-endian and as-is on big-endian', () => {
    assert.equal(ipv4(0x0100007f, 'LE'), '127.0.0.1');
    assert.equal(ipv4(0x7f000001, 'BE'), '127.0.0.1');
  });
  it('reads IPv6 groups byte-reversed and compresses zeros', () => {
    assert.equal(ipv6('00000000000000000000000001000000', 'LE'), '::1');
    assert.equal(ipv6('B80D0120000000000000000001000000', 'LE'), '2001:db8::1');
    assert.equal(ipv6('0000000000000000FFFF00000100007F', 'LE'), '::ffff:127.0.0.1');
  });
  it('counts v4-mapped IPv6 sockets in the IPv4 port space of their destination', () => {
    const line = (sl: number, port: string) =>
      `  ${sl}: 0000000000000000FFFF00000100007F:${port} 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 0 0 10 -1\n`;
    const t = parseSocketTables([{ source: '/proc/net/tcp6', content: line(0, '9C40') + line(1, '9C41') }], opts);
    assert.deepEqual(
      t.destinations.map((d) => [d.family, d.localIp, d.remoteIp, d.total]),
      [[4, '127.0.0.1', '127.0.0.1', 2]],
    );
  });
});

describe('malformed tables', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  it('reads past a bad line and reports it with the source and line; the rest is counted', () => {
    const t = parseSocketTables(
      [
        {
          source: 'x/tcp',
          content:
            header +
            '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n   1: 0100007F:ZZZZ 00000000:0000 01 00000000:00000000\n',
        },
      ],
      opts,
    );
    assert.equal(t.sockets, 1);
    assert.deepEqual(
      t.unread?.map((u) => [u.source, u.count, u.lines[0]?.line, u.rejected]),
      [['x/tcp', 1, 3, undefined]],
    );
    assert.match(t.unread?.[0]?.lines[0]?.reason ?? '', /local port/);
  });
  it("a file with no socket line at all is marked rejected, the other family's file kept", () => {
    const t = parseSocketTables(
      [
        { source: 'x/tcp', content: header + '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n' },
        { source: 'x/tcp6', content: 'garbage\n' },
      ],
      opts,
    );
    assert.equal(t.sockets, 1);
    assert.deepEqual(
      t.unread?.map((u) => [u.source, u.rejected]),
      [['x/tcp6', true]],
    );
  });
  it('rejects an endless line instead of buffering it', () => {
    const s = new SocketTableScanner(opts).file('big');
    assert.throws(() => {
      for (let i = 0; i < 10; i++) s.push(Buffer.alloc(1000, 65));
    }, ParseError);
  });
});

describe('the fixed-offset reading of kernel IPv4 lines', () => {
  const line = (sl: number, lport: string, state: string, rx = '00000000') =>
    `${String(sl).padStart(4)}: 0100007F:${lport} 0200007F:01BB ${state} 00000000:${rx} 00:00000000 00000000     0        0 1 1 0000000000000000 20 4 30 10 -1`.padEnd(
      149,
    );

  it('counts a line it cannot read at fixed offsets the same way through the general reading', () => {
    // the third line's rx_queue is not hex: only the general reading takes it, and it reads no rx_queue there
    const text = [line(0, '9C40', '01'), line(1, '9C41', '06'), line(2, '9C42', '01', '0000000z'), ''].join('\n');
    const t = parseSocketTables([{ source: '/proc/net/tcp', content: text }], opts);
    assert.equal(t.sockets, 3);
    assert.equal(t.destinations.length, 1);
    const d = t.destinations[0]!;
    assert.deepEqual(
      [d.localIp, d.remoteIp, d.remotePort, d.total, d.states[1], d.states[6]],
      ['127.0.0.1', '127.0.0.2', 443, 3, 2, 1],
    );
    assert.equal(t.unread, undefined);
  });

  it('leaves a line with a bad state to the general reading, which names the fault', () => {
    const text = [line(0, '9C40', '01'), line(1, '9C41', '00'), ''].join('\n');
    const t = parseSocketTables([{ source: '/proc/net/tcp', content: text }], opts);
    assert.equal(t.sockets, 1);
    assert.equal(t.unread?.[0]?.count, 1);
    assert.match(t.unread?.[0]?.lines[0]?.reason ?? '', /unknown TCP state 0/);
  });
});
