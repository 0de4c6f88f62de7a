/** IPVS formats: the kernel here has no IPVS, so these are the captured-format texts of test/fixtures/ipvs. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IpvsConnScanner, parseIpvsConns, parseIpvsTable } from '../../src/parsers/ipvs.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { parseProcNetCounters } from '../../src/parsers/proc-net-counters.js';
import { FIXTURES, nonEmpty } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

const ipvs = (name: string) => readFileSync(join(FIXTURES, 'ipvs', name), 'utf8');

describe('IPVS table parser', () => {
  it('/proc/net/ip_vs: hex addresses read in order, IPv6 compressed, persistence, firewall marks', () => {
    const t = parseIpvsTable(ipvs('ip_vs.rolling-update'), 'proc/net/ip_vs');
    assert.deepEqual(
      t.services.map((s) => s.key),
      ['10.96.0.100:80', '10.96.0.1:443', '10.96.0.10:53', '10.96.0.200:443', '[fd00:10:96::64]:80', 'FWM 1'],
    );
    const [web] = nonEmpty(t.services);
    assert.deepEqual(
      web.reals.map((r) => [r.address, r.port, r.forward, r.weight, r.active, r.inactive, r.line]),
      [
        ['10.244.1.2', 8080, 'Masq', 0, 0, 25, 5],
        ['10.244.2.3', 8080, 'Masq', 1, 12, 40, 6],
        ['10.244.3.4', 8080, 'Masq', 1, 11, 38, 7],
      ],
    );
    assert.equal(web.scheduler, 'rr');
    assert.equal(t.services[3]?.persistent, 10800);
    assert.equal(t.services[4]?.reals[0]?.address, 'fd00:10:244:1::2');
    assert.equal(t.services[5]?.fwmark, 1);
    assert.equal(web.text, 'TCP  0A600064:0050 rr  ');
  });

  it('ipvsadm -Ln gives the same table in decimal', () => {
    const t = parseIpvsTable(ipvs('ipvsadm-Ln.rolling-update'), 'ipvsadm-Ln');
    assert.deepEqual(
      t.services.map((s) => s.key),
      ['10.96.0.100:80', '10.96.0.200:443', '[fd00:10:96::64]:80', 'FWM 1'],
    );
    assert.deepEqual([t.services[0]?.reals[0]?.weight, t.services[0]?.reals[0]?.inactive], [0, 25]);
    assert.equal(t.services[1]?.persistent, 10800);
    assert.equal(t.services[2]?.reals[0]?.address, 'fd00:10:244:1::2');
  });

  it('ipvsadm -Ln --stats: services and real servers, no weights', () => {
    const t = parseIpvsTable(ipvs('ipvsadm-Ln-stats.rolling-update'), 'stats');
    assert.equal(t.services[0]?.key, '10.96.0.100:80');
    assert.equal(at(at(t.services, 0).reals, 0).weight, undefined);
  });

  it('rejects what is not IPVS at all, with the line', () => {
    assert.throws(
      () => parseIpvsTable('IP Virtual Server version 1.2.1 (size=4096)\nTCP  0A600064 rr\n', 'x'),
      (e: unknown) => e instanceof ParseError && e.line === 2,
    );
    assert.throws(
      () => parseIpvsTable('  -> 0AF40102:1F90      Masq    0      0          25\n', 'x'),
      /before any virtual service/,
    );
  });
  it('reads past a line it does not understand and reports it with its number', () => {
    const t = parseIpvsTable(
      'TCP  10.96.0.1:443 rr\n  -> 10.0.0.1:80 Masq one 0 0\n  -> 10.0.0.2:80 Masq 1 3 4\n',
      'x',
    );
    assert.equal(t.services[0]?.reals.length, 1);
    assert.equal(t.unread?.count, 1);
    assert.equal(t.unread?.lines[0]?.line, 2);
    assert.match(t.unread?.lines[0]?.reason ?? '', /weight: expected a number/);
  });
  it('ipvsadm -L without -n: host and service names', () => {
    const t = parseIpvsTable(
      'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  kubernetes.default.svc.cluster.local:https rr\n  -> master-1:6443                Masq    1      2          0\n  -> 10-244-1-7.web.default.svc.cluster.local:http Masq 0 0 1200\n',
      'x',
    );
    assert.equal(t.named, true);
    assert.deepEqual(
      t.services.map((s) => [s.address, s.port]),
      [['kubernetes.default.svc.cluster.local', 443]],
    );
    assert.deepEqual(
      t.services[0]?.reals.map((r) => [r.address, r.port, r.weight, r.inactive]),
      [
        ['master-1', 6443, 1, 0],
        ['10-244-1-7.web.default.svc.cluster.local', 80, 0, 1200],
      ],
    );
  });
});

describe('IPVS connection entries', () => {
  it('/proc/net/ip_vs_conn: counts per real server and state, templates apart, sample lines', () => {
    const c = parseIpvsConns(ipvs('ip_vs_conn.rolling-update'), 'proc/net/ip_vs_conn');
    assert.equal(c.entries, 46);
    assert.equal(c.templates, 1);
    const old = c.byDestination.get('10.244.1.2:8080')!;
    assert.deepEqual(old.byState, { TIME_WAIT: 19, SYN_RECV: 2 });
    assert.equal(old.maxExpires, 108);
    assert.match(old.samples.get('SYN_RECV')!.text, /^TCP 0AF40909 A028 0A600064 0050 0AF40102 1F90 SYN_RECV +59 $/);
    assert.deepEqual(c.byDestination.get('[fd00:10:244:1::2]:8080')?.byState, { TIME_WAIT: 1 });
  });

  it('ipvsadm -Lnc: the same counts from mm:ss and decimal endpoints', () => {
    const c = parseIpvsConns(ipvs('ipvsadm-Lnc.rolling-update'), 'ipvsadm-Lnc');
    assert.deepEqual(c.byDestination.get('10.244.1.2:8080')?.byState, { TIME_WAIT: 1, SYN_RECV: 1 });
    assert.equal(c.byDestination.get('10.244.1.2:8080')?.maxExpires, 90);
    assert.equal(c.templates, 1);
  });

  it('streams: any chunking gives the same counts', () => {
    const text = ipvs('ip_vs_conn.rolling-update');
    const whole = parseIpvsConns(text);
    for (const size of [1, 7, 100]) {
      const s = new IpvsConnScanner('chunks');
      for (let i = 0; i < text.length; i += size) s.push(Buffer.from(text.slice(i, i + size), 'latin1'));
      const r = s.finish();
      assert.equal(r.entries, whole.entries);
      assert.deepEqual(
        r.byDestination.get('10.244.1.2:8080')?.byState,
        whole.byDestination.get('10.244.1.2:8080')?.byState,
      );
    }
  });

  it('an endless line is refused instead of buffered', () => {
    const s = new IpvsConnScanner('x');
    assert.throws(() => s.push('A'.repeat(10_000)), ParseError);
  });
});

describe('netstat of kernels with tcp_tw_recycle', () => {
  it('3.10 and 4.9 shapes: PAWSPassive read by name', () => {
    assert.equal(parseProcNetCounters(ipvs('netstat-3.10'), 'netstat').get('TcpExt.PAWSPassive'), 88);
    const n49 = readFileSync(join(FIXTURES, 'bundles/tw-recycle-nat/netns/host/proc/net/netstat'), 'utf8');
    assert.equal(parseProcNetCounters(n49, 'netstat').get('TcpExt.PAWSPassive'), 1200);
  });
});

describe('IPVS redaction', () => {
  it('replaces every address in the proc formats and keeps the files parseable, with the same counts', async () => {
    const { Redactor } = await import('../../src/redact/redactor.js');
    const r = new Redactor();
    const redact = (text: string) =>
      text
        .split('\n')
        .map((l) => r.ipvsLine(l))
        .join('\n');
    const table = redact(ipvs('ip_vs.rolling-update'));
    const conns = redact(ipvs('ip_vs_conn.rolling-update'));
    assert.doesNotMatch(table + conns, /0AF40102|0A600064|fd00:0010/);
    const t = parseIpvsTable(table, 'redacted');
    assert.match(at(t.services, 0).key, /^198\.18\.\d+\.\d+:80$/);
    assert.equal(at(t.services, 5).key, 'FWM 1', 'a firewall mark is not an address');
    const old = endpointOf(at(at(t.services, 0).reals, 0));
    assert.deepEqual(parseIpvsConns(conns, 'redacted').byDestination.get(old)?.byState, { TIME_WAIT: 19, SYN_RECV: 2 });
    assert.match(at(at(t.services, 4).reals, 0).address, /^2001:db8::/);
  });
});

function endpointOf(real: { address: string; port: number }): string {
  return `${real.address}:${real.port}`;
}

describe('ipvsadm -Ln --rate', () => {
  it('rate columns are not read as weights', () => {
    const t = parseIpvsTable(
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\nTCP  10.96.0.1:443                        0        0        0        0        0\n  -> 192.168.0.10:6443                   0        0        0        0        0\n',
      'rate',
    );
    assert.equal(t.services[0]?.reals[0]?.weight, undefined);
    assert.equal(t.unread, undefined);
  });
});
