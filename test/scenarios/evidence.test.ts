/**
 * Never a false all-clear, proven in real namespaces: a namespace that is not the node's is not called
 * "host"; a non-root run says what it could not read; `ss -tan` and `netstat -an` text from a namespace
 * whose ports ran out give the same finding as `node` did there; `netstat -s` maps onto /proc's counters.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseProcNetCounters } from '../../src/parsers/proc-net-counters.js';
import { parseNetstatS } from '../../src/parsers/netstat-s.js';
import { BIN, byRule, ROOT, runCli, runJson } from '../helpers.js';
import { scenarioSkipReason, withNetns, type Netns } from './netns.js';

const skip = scenarioSkipReason(['netstat']);

/** Runs the CLI as user nobody inside the namespace; undefined when that user cannot reach the checkout. */
function asNobody(ns: string, args: string[]): { code: number | null; stdout: string; stderr: string } | undefined {
  const drop = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
  const probe = spawnSync('ip', ['netns', 'exec', ns, ...drop, 'test', '-r', join(ROOT, 'dist/bundle/main.js')]);
  if (probe.status !== 0) return undefined;
  const r = spawnSync('ip', ['netns', 'exec', ns, ...drop, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function exhaust(ns: Netns): Promise<void> {
  ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
  assert.equal(await ns.helper('listen', '127.0.0.1', '8080', '128', 'accept'), 'ready');
  const client = await ns.connect('127.0.0.1', 8080, 50);
  assert.equal(client.errno, 99, 'the 11th connect() fails with EADDRNOTAVAIL');
}

describe('scenario: never a false all-clear', { skip }, () => {
  it('--netns self in a namespace that is not the node\'s: not "host", node rules listed as not checked, pod-style fix', () =>
    withNetns(['self'], async (ns) => {
      await exhaust(ns);
      const { code, report } = await runJson(['node', '--netns', 'self', '--interval', '0'], { netns: ns.name });
      assert.equal(code, 1);
      const [f] = byRule(report, 'ephemeral-port-exhaustion');
      assert.ok(f, 'the exhaustion is still found');
      assert.match(String(f.subject.netns), /^netns-\d+$/, 'named by its inode, not "host"');
      assert.match(f.remediation, /securityContext: \{sysctls:/, 'the fix is for a pod');
      assert.ok(report.notes?.some((n) => /not the node's own network namespace/.test(n)));
      const notChecked = report.skipped.filter((s) => !s.notApplicable).map((s) => s.rule);
      for (const rule of [
        'ephemeral-range-overlaps-nodeports',
        'source-port-is-nodeport',
        'iptables-missing-chain',
        'kube-proxy-restore-failure',
      ]) {
        assert.ok(notChecked.includes(rule), `${rule} is listed as not checked`);
      }
      assert.equal(report.coverage?.complete, false);

      const text = await runCli(['node', '--netns', 'self', '--interval', '0'], { netns: ns.name });
      assert.match(text.stdout, /^Not checked \(\d+ rules; a rule not checked is not cleared\):$/m);
      assert.doesNotMatch(text.stdout, /^No problems found\.$/m);
    }));

  it('--as-node keeps judging the namespace as a node', () =>
    withNetns(['asnode'], async (ns) => {
      await exhaust(ns);
      const { report } = await runJson(['node', '--netns', 'self', '--as-node', '--interval', '0'], { netns: ns.name });
      assert.equal(byRule(report, 'ephemeral-port-exhaustion')[0]?.subject.netns, 'host');
      assert.equal(report.notes, undefined);
    }));

  it('not root: one note says only this namespace was read; what needs root is not checked; the summary says so', (t) =>
    withNetns(['nobody'], async (ns) => {
      const r = asNobody(ns.name, ['node', '--interval', '0', '--format', 'json']);
      if (!r) return t.skip('user nobody cannot read this checkout (its directories are not world-readable)');
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as import('../../src/report/report.js').Report;
      assert.ok(
        report.notes?.some((n) => /^not root: only this process's own network namespace was read/.test(n)),
        JSON.stringify(report.notes),
      );
      const iptables = report.skipped.find((s) => s.rule === 'iptables-backend-split');
      assert.match(iptables?.reason ?? '', /Permission denied|must be root/);
      assert.ok(report.coverage && report.coverage.ran > 0 && !report.coverage.complete);
      const text = asNobody(ns.name, ['node', '--interval', '0'])!;
      assert.match(
        text.stdout,
        /^No problems found in what was checked; \d+ rules? not checked \(listed at the top\)\.$/m,
      );
    }));

  it('nothing checkable at all is exit 2 with one line saying what to do', () =>
    withNetns(['none'], async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nd-empty-'));
      try {
        await writeFile(join(dir, 'uname.txt'), '6.18.0\n');
        const r = await runCli(['analyze', join(dir, 'uname.txt')]);
        assert.equal(r.code, 2);
        assert.match(
          r.stderr,
          /^netdoctor: nothing could be checked \(.*uname\.txt read as kernel-release, but no rule can judge that alone\): .*To fix: /,
        );
        assert.equal(r.stderr.trim().split('\n').length, 1);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }));
});

describe('scenario: loose ss and netstat text give the findings node gives', { skip }, () => {
  it('ss -tan and netstat -an from the exhausted namespace → the same ephemeral-port-exhaustion as node', () =>
    withNetns(['loose'], async (ns) => {
      await exhaust(ns);
      const { report: live } = await runJson(['node', '--netns', 'self', '--as-node', '--interval', '0'], {
        netns: ns.name,
      });
      const [want] = byRule(live, 'ephemeral-port-exhaustion');
      assert.ok(want);
      const dir = await mkdtemp(join(tmpdir(), 'nd-loose-'));
      try {
        await writeFile(join(dir, 'ss.txt'), ns.exec(['ss', '-tan']));
        await writeFile(join(dir, 'netstat.txt'), ns.exec(['netstat', '-tan']));
        await writeFile(join(dir, 'range.txt'), ns.exec(['cat', '/proc/sys/net/ipv4/ip_local_port_range']));
        const pick = (f: typeof want) => ({
          rule: f.rule,
          severity: f.severity,
          localIp: f.subject.localIp,
          remoteIp: f.subject.remoteIp,
          remotePort: f.subject.remotePort,
          used: f.subject.used,
          usable: f.subject.usable,
        });
        for (const listing of ['ss.txt', 'netstat.txt']) {
          const { code, report } = await runJson(['analyze', join(dir, listing), join(dir, 'range.txt')]);
          assert.equal(code, 1, listing);
          const [got, ...more] = byRule(report, 'ephemeral-port-exhaustion');
          assert.equal(more.length, 0, listing);
          assert.deepEqual(pick(got!), pick(want), listing);
          assert.ok(
            got!.evidence.some(
              (e) => e.source === join(dir, listing) && /127\.0\.0\.1:400\d\d\s+127\.0\.0\.1:8080/.test(e.detail),
            ),
            `${listing}: the sample is the user's own line`,
          );
          assert.ok(report.notes?.some((n) => n.includes(listing) && / read as (ss-tan|netstat-an) /.test(n)));
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }));

  it('netstat -s maps onto the same counters /proc/net/netstat and snmp hold (an idle namespace)', () =>
    withNetns(['nstat'], async (ns) => {
      assert.equal(await ns.helper('listen', '127.0.0.1', '8081', '0', 'noaccept'), 'ready');
      assert.equal(await ns.helper('flood', '127.0.0.1', '8081', '6'), 'flooding'); // the accept queue overflows
      await new Promise((r) => setTimeout(r, 1500));
      const proc = new Map([
        ...parseProcNetCounters(ns.exec(['cat', '/proc/net/netstat']), 'netstat'),
        ...parseProcNetCounters(ns.exec(['cat', '/proc/net/snmp']), 'snmp'),
      ]);
      const text = ns.exec(['netstat', '-s']);
      const proc2 = new Map([
        ...parseProcNetCounters(ns.exec(['cat', '/proc/net/netstat']), 'netstat'),
        ...parseProcNetCounters(ns.exec(['cat', '/proc/net/snmp']), 'snmp'),
      ]);
      const mapped = parseNetstatS(text, 'netstat -s');
      assert.ok((proc.get('TcpExt.ListenOverflows') ?? 0) > 0, 'the overflow happened');
      for (const key of [
        'TcpExt.ListenOverflows',
        'TcpExt.ListenDrops',
        'Tcp.ActiveOpens',
        'Tcp.PassiveOpens',
        'Tcp.AttemptFails',
      ]) {
        const v = mapped.get(key);
        assert.ok(v !== undefined, `${key} read from netstat -s`);
        assert.ok(
          v >= proc.get(key)! && v <= proc2.get(key)!,
          `${key}: netstat -s ${v}, /proc ${proc.get(key)}..${proc2.get(key)}`,
        );
      }
    }));
});
