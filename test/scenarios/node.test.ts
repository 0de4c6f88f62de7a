/**
 * The failures built for real in network namespaces, diagnosed by the real CLI (bin/netdoctor).
 * Needs root; skipped with the reason otherwise (CI runs them as root).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tar from 'tar';
import { byRule, runCli, runJson, nonEmpty } from '../helpers.js';
import { scenarioSkipReason, withNetns } from './netns.js';

const skip = scenarioSkipReason();
const node = (ns: string, ...args: string[]) =>
  runJson(['node', '--netns', 'self', '--as-node', '--interval', '0', ...args], { netns: ns });

describe('scenario: ephemeral port exhaustion', { skip }, () => {
  it('one destination until EADDRNOTAVAIL → error naming the destination with used/usable', () =>
    withNetns(['exh'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
      assert.equal(await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept'), 'ready');
      const client = await ns.connect('127.0.0.1', 8080, 50);
      assert.equal(client.opened, 10, 'the kernel hands out exactly the 10 ports of the range');
      assert.equal(client.errno, 99, 'the 11th connect() fails with EADDRNOTAVAIL');

      const { code, report } = await node(ns.name);
      assert.equal(code, 1);
      const [f, ...rest] = nonEmpty(byRule(report, 'ephemeral-port-exhaustion'));
      assert.equal(rest.length, 0);
      assert.equal(f.severity, 'error');
      assert.deepEqual(
        {
          netns: f.subject.netns,
          localIp: f.subject.localIp,
          remoteIp: f.subject.remoteIp,
          remotePort: f.subject.remotePort,
          used: f.subject.used,
          usable: f.subject.usable,
        },
        { netns: 'host', localIp: '127.0.0.1', remoteIp: '127.0.0.1', remotePort: 8080, used: 10, usable: 10 },
      );
      assert.match(f.message, /EADDRNOTAVAIL/);
      assert.ok(
        f.evidence.some(
          (e) =>
            e.source === '/proc/net/tcp' &&
            /10 sockets 127\.0\.0\.1 → 127\.0\.0\.1:8080 .*ESTABLISHED 10/.test(e.detail),
        ),
      );
      assert.ok(
        f.evidence.some((e) => e.source === 'sysctl' && e.detail === 'net.ipv4.ip_local_port_range = 40000\t40009'),
      );
    }));

  it('the same namespace seen from outside by name (--netns NAME) names it', () =>
    withNetns(['exhname'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
      await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept');
      await ns.connect('127.0.0.1', 8080, 50);
      const { report } = await runJson(['node', '--netns', ns.name, '--interval', '0']);
      const [f] = byRule(report, 'ephemeral-port-exhaustion');
      assert.equal(f?.subject.name, ns.name);
      assert.equal(f?.subject.used, 10);
    }));

  it('the same load spread over several destinations → no exhaustion finding', () =>
    withNetns(['spread'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '40000 40099');
      for (const port of ['8081', '8082', '8083']) await ns.helper('listen', '127.0.0.1', port, '128', 'accept');
      for (const port of [8081, 8082, 8083]) assert.equal((await ns.connect('127.0.0.1', port, 25)).opened, 25);
      const { code, report } = await node(ns.name);
      assert.deepEqual(byRule(report, 'ephemeral-port-exhaustion'), []);
      assert.equal(code, 0);
    }));

  it('ip_local_reserved_ports inside the range reduces the usable count', () =>
    withNetns(['rsv'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '40000 40019');
      ns.sysctl('net.ipv4.ip_local_reserved_ports', '40010-40014');
      await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept');
      const client = await ns.connect('127.0.0.1', 8080, 100);
      assert.equal(client.opened, 15, 'the kernel skips the 5 reserved ports');
      const { report } = await node(ns.name);
      const [f] = byRule(report, 'ephemeral-port-exhaustion');
      assert.equal(f?.severity, 'error');
      assert.equal(f?.subject.usable, 15);
      assert.equal(f?.subject.used, 15);
      assert.ok(f?.evidence.some((e) => e.detail === 'net.ipv4.ip_local_reserved_ports = 40010-40014'));
    }));
});

describe('scenario: ephemeral range overlapping NodePorts', { skip }, () => {
  it('a node with 1024-65535 → ephemeral-range-overlaps-nodeports; reserving 30000-32767 clears it', () =>
    withNetns(['ovl'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
      let { report } = await node(ns.name);
      const [f] = byRule(report, 'ephemeral-range-overlaps-nodeports');
      assert.equal(f?.severity, 'error');
      assert.equal(f?.subject.netns, 'host');
      assert.equal(f?.subject.overlap, '30000-32767');
      ns.sysctl('net.ipv4.ip_local_reserved_ports', '30000-32767');
      ({ report } = await node(ns.name));
      assert.deepEqual(byRule(report, 'ephemeral-range-overlaps-nodeports'), []);
    }));

  it('a client whose source port is in the NodePort range → source-port-is-nodeport', () =>
    withNetns(['sport'], async (ns) => {
      await ns.helper('listen', '127.0.0.1', '80', '128', 'accept');
      assert.deepEqual(JSON.parse(await ns.helper('connect-from', '127.0.0.1', '80', '31000')), {
        opened: 1,
        sport: 31000,
      });
      const { report } = await node(ns.name, '--nodeport-range', '30000-32767');
      const [f, ...rest] = nonEmpty(byRule(report, 'source-port-is-nodeport'));
      assert.equal(rest.length, 0);
      assert.equal(f.severity, 'warning');
      assert.equal(f.subject.ports, '31000');
      assert.ok(f.evidence.some((e) => e.detail.startsWith('source port 31000 → 127.0.0.1:80: ')));
      // the server side of that connection (local port 80) is not a client source port
      assert.equal(f.subject.sockets, 1);
    }));
});

describe('scenario: listen queue overflow', { skip }, () => {
  it('a listener with backlog 1 that never accepts, flooded → the overflow cause and the listener are named', () =>
    withNetns(['lq'], async (ns) => {
      await ns.helper('listen', '127.0.0.1', '9000', '1', 'noaccept');
      assert.equal(await ns.helper('flood', '127.0.0.1', '9000', '20'), 'flooding');
      const { report } = await runJson(
        ['node', '--netns', 'self', '--as-node', '--interval', '3s', '--rules', 'listen-queue-overflow'],
        { netns: ns.name },
      );
      const findings = byRule(report, 'listen-queue-overflow');
      const [f] = findings;
      assert.equal(f?.severity, 'error');
      assert.equal(
        f?.subject.cause,
        'accept-queue',
        'ListenOverflows rose with ListenDrops: the accept queue is the cause',
      );
      assert.ok(
        findings.every((x) => x.subject.cause !== 'paws'),
        'no PAWS counter on this kernel, so no PAWS cause',
      );
      assert.equal(f?.subject.listener, '127.0.0.1:9000');
      assert.equal(f?.subject.backlog, 1);
      assert.ok((f?.subject.acceptQueue as number) > 1);
      assert.ok(f?.evidence.some((e) => /^TcpExt\.ListenOverflows rose by [1-9]/.test(e.detail)));
      assert.ok(f?.evidence.some((e) => e.source === 'ss -ltn' && e.detail.includes('127.0.0.1:9000')));
    }));
});

describe('scenario: collect, then analyze elsewhere', { skip }, () => {
  it('analyze on the bundle gives the same findings as node on that namespace', () =>
    withNetns(['bundle'], async (ns) => {
      ns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
      // an address of the test's own namespace (on its lo), so that redaction has something to hide
      ns.exec(['ip', 'addr', 'add', '10.250.0.1/32', 'dev', 'lo']);
      await ns.helper('listen', '10.250.0.1', '8080', '128', 'accept');
      await ns.helper('connect-from', '10.250.0.1', '8080', '31500');
      const dir = await mkdtemp(join(tmpdir(), 'nd-collect-'));
      try {
        const live = await node(ns.name);
        const bundle = join(dir, 'node.tar.gz');
        const c = await runJsonless(ns.name, [
          'collect',
          '--netns',
          'self',
          '--as-node',
          '--interval',
          '0',
          '-o',
          bundle,
        ]);
        assert.equal(c, 0);
        const offline = await runJson(['analyze', bundle]);
        assert.equal(offline.code, live.code);
        assert.deepEqual(offline.report.findings, live.report.findings);
        assert.ok(live.report.findings.some((f) => f.rule === 'source-port-is-nodeport'));

        const redacted = join(dir, 'redacted.tar.gz');
        assert.equal(
          await runJsonless(ns.name, [
            'collect',
            '--netns',
            'self',
            '--as-node',
            '--interval',
            '0',
            '--redact',
            '-o',
            redacted,
          ]),
          0,
        );
        const r = await runJson(['analyze', redacted]);
        assert.deepEqual(
          r.report.findings.map((f) => [f.rule, f.severity]),
          live.report.findings.map((f) => [f.rule, f.severity]),
        );
        assert.doesNotMatch(JSON.stringify(r.report), /10\.250\.0\.1/);
        const extracted = join(dir, 'x');
        await mkdir(extracted);
        await tar.x({ file: redacted, cwd: extracted });
        const tcp = await readFile(join(extracted, 'netns/host/proc/net/tcp'), 'latin1');
        assert.doesNotMatch(tcp, /0100FA0A/, '10.250.0.1 as /proc/net/tcp prints it is gone');
        assert.match(tcp, /:7B0C /, 'ports are kept (31500)');
        assert.match(tcp, /010012C6:1F90/, '10.250.0.1 became 198.18.0.1');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }));
});

async function runJsonless(netns: string, args: string[]): Promise<number | null> {
  const r = await runCli(args, { netns });
  if (r.code !== 0) throw new Error(`collect failed: ${r.stderr}`);
  return r.code;
}
