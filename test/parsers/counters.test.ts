import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ephemeralPorts } from '../../src/facts/ephemeral.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { parsePortList, parsePortRange } from '../../src/parsers/port-range.js';
import { subtract } from '../../src/model/port-range.js';
import {
  counterDeltas,
  parseConntrackStat,
  parseProcNetCounters,
  parseSockstat,
} from '../../src/parsers/proc-net-counters.js';
import { parseSsListeners } from '../../src/parsers/ss-listeners.js';
import { parseSysctls } from '../../src/parsers/sysctl.js';
import { bundleFixture } from '../helpers.js';

const lq = (p: string) => readFileSync(join(bundleFixture('listen-overflow'), 'netns/host', p), 'latin1');

describe('counter files captured from Linux 6.18', () => {
  it('netstat: maps by name; the overflow rose between the samples', () => {
    const a = parseProcNetCounters(lq('proc/net/netstat'), 'netstat');
    const b = parseProcNetCounters(lq('later/proc/net/netstat'), 'netstat');
    assert.ok(a.has('TcpExt.ListenOverflows') && a.has('IpExt.InOctets') && a.has('MPTcpExt.MPCapableSYNRX'));
    assert.ok(counterDeltas(a, b).get('TcpExt.ListenOverflows')! > 0);
  });
  it('snmp: Tcp.MaxConn is -1 and stays signed', () => {
    assert.equal(parseProcNetCounters(lq('proc/net/snmp'), 'snmp').get('Tcp.MaxConn'), -1);
  });
  it('sockstat and nf_conntrack stat', () => {
    assert.ok(parseSockstat(lq('proc/net/sockstat'), 'sockstat').has('TCP.tw'));
    const ct = parseConntrackStat(lq('proc/net/stat/nf_conntrack'), 'nf_conntrack');
    assert.ok(ct.has('insert_failed') && ct.has('drop'));
  });
  it('ss -ltn: Recv-Q is the accept queue, Send-Q the backlog', () => {
    assert.deepEqual(
      parseSsListeners(lq('ss-ltn')).map((l) => [l.ip, l.port, l.acceptQueue, l.backlog]),
      [['127.0.0.1', 9000, 2, 1]],
    );
    assert.deepEqual(
      parseSsListeners('tcp   LISTEN 0 4096 [::]:22 [::]:*\n').map((l) => [l.ip, l.port]),
      [['::', 22]],
    );
  });
  it('a values line that does not match its header is an error with the line number', () => {
    assert.throws(
      () => parseProcNetCounters('TcpExt: A B\nTcpExt: 1\n', 'netstat'),
      (e: unknown) => e instanceof ParseError && e.line === 2,
    );
  });
});

describe('sysctls and port ranges', () => {
  it('parses `sysctl -a` lines, sysctl.conf lines and skips sysctl complaints', () => {
    const s = parseSysctls(
      'net.ipv4.ip_local_port_range = 32768\t60999\nnet/ipv4/tcp_tw_reuse=1\nsysctl: permission denied on key "x"\n# c\n',
    );
    assert.equal(s.get('net.ipv4.ip_local_port_range')?.value, '32768\t60999');
    assert.equal(s.get('net.ipv4.tcp_tw_reuse')?.value, '1');
    assert.throws(
      () => parseSysctls('no equals sign here\n', 's'),
      (e: unknown) => e instanceof ParseError && e.line === 1,
    );
  });
  it('usable ports = range minus reserved', () => {
    const eph = ephemeralPorts(
      parseSysctls(
        'net.ipv4.ip_local_port_range = 40000\t40019\nnet.ipv4.ip_local_reserved_ports = 40010-40014,50000\n',
      ),
    );
    assert.equal(eph.usable, 15);
    assert.equal(eph.bitmap[40010], 0);
    assert.equal(eph.bitmap[40015], 1);
  });
  it('merges reserved lists and subtracts them', () => {
    assert.deepEqual(parsePortList('30010-30020,30000-30011, 31000'), [
      { lo: 30000, hi: 30020 },
      { lo: 31000, hi: 31000 },
    ]);
    assert.deepEqual(subtract({ lo: 1024, hi: 65535 }, [{ lo: 30000, hi: 32767 }]), [
      { lo: 1024, hi: 29999 },
      { lo: 32768, hi: 65535 },
    ]);
    assert.deepEqual(parsePortRange('30000-32767'), { lo: 30000, hi: 32767 });
    assert.throws(() => parsePortRange('60999 32768'), ParseError);
  });
});
