import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import kubeProxyRestoreFailure from '../../src/rules/kube-proxy-restore-failure.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'kube-proxy-restore-failure';

describe(RULE, () => {
  it('invalid: the real restore failure framed as kube-proxy 1.13 logged it → error with chain, backend, count and lines', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('backend-split')), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      { command: f.subject.command, failures: f.subject.failures, chain: f.subject.chain, backend: f.subject.backend },
      { command: 'iptables-restore', failures: 1, chain: 'KUBE-MARK-DROP', backend: 'legacy' },
    );
    assert.deepEqual(
      f.evidence.filter((e) => e.source === 'logs/kube-proxy.log').map((e) => e.line),
      [3, 4, 5, 6, 7],
    );
    assert.ok(f.evidence.some((e) => e.source === 'window' && /^7 log lines read/.test(e.detail)));
  });

  it('counts every failure over the window read', async () => {
    const line = (n: number) =>
      `2026-11-21T00:0${n}:00.000000000Z stderr F E1121 00:0${n}:00.000000       1 proxier.go:1413] Failed to execute iptables-restore: exit status 2 (iptables-restore v1.8.9 (legacy): Couldn't load target \`KUBE-MARK-DROP':No such file or directory)`;
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('backend-split', { 'logs/kube-proxy.log': [1, 2, 3, 4].map(line).join('\n') + '\n' }),
        RULE,
      ),
    );
    assert.equal(f.subject.failures, 4);
    assert.match(
      f.message,
      /failed 4 time\(s\).*first 2026-11-21T00:01:00\.000000000Z, last 2026-11-21T00:04:00\.000000000Z/,
    );
    assert.ok(f.evidence.some((e) => e.source === 'tally' && e.detail === '4 failure(s) on KUBE-MARK-DROP'));
  });

  it('valid: a log without failures → nothing', async () => {
    const report = await analyzeEdited('backend-split', {
      'logs/kube-proxy.log': 'I1121 00:53:40.000001       1 proxier.go:820] "SyncProxyRules complete" elapsed="12ms"\n',
    });
    assert.deepEqual(byRule(report, RULE), []);
  });

  it('skipped with the reason when no log was found', async () => {
    const report = await analyzeFixture(bundleFixture('kube-proxy-nft'));
    assert.deepEqual(byRule(report, RULE), []);
    assert.ok(report.skipped.some((s) => s.rule === RULE && /no kube-proxy log found/.test(s.reason)));
  });
});

describe(`${RULE}: what real logs taught`, () => {
  const klog = (t: string, file: string, msg: string) => `I1121 00:00:0${t}.000000       1 ${file}] ${msg}`;
  it('a single failure right after start-up cleanup, never repeated → info, not an error', async () => {
    const log = [
      klog('1', 'server_others.go:174', 'Tearing down inactive rules.'),
      'E1121 00:00:02.000000       1 proxier.go:1413] Failed to execute iptables-restore: exit status 1 (iptables-restore: line 7 failed',
      ')',
      klog('3', 'proxier.go:820', '"SyncProxyRules complete" elapsed="12ms"'),
    ].join('\n');
    const [f] = byRule(await analyzeEdited('backend-split', { 'logs/kube-proxy.log': log + '\n' }), RULE);
    assert.equal(f?.severity, 'info');
    assert.equal(f?.subject.duringCleanup, true);
  });

  it('the same failure twice is an error, cleanup or not', async () => {
    const fail = (s: string) =>
      `E1121 00:00:0${s}.000000       1 proxier.go:1413] Failed to execute iptables-restore: exit status 1 (iptables-restore: line 7 failed)`;
    const log = [klog('1', 'server_others.go:174', 'Tearing down inactive rules.'), fail('2'), fail('5')].join('\n');
    const [f] = byRule(await analyzeEdited('backend-split', { 'logs/kube-proxy.log': log + '\n' }), RULE);
    assert.equal(f?.severity, 'error');
    assert.equal(f?.subject.failures, 2);
  });

  it('KUBE-MARK-DROP in the other backend → the fix aligns the backends', async () => {
    const [f] = byRule(await analyzeFixture(bundleFixture('backend-split')), RULE);
    assert.match(f?.remediation ?? '', /exists only in nf_tables, not in the legacy backend .*split between backends/);
  });

  it('KUBE-MARK-DROP in no backend → never created or flushed: the fix recreates it, not "align the backends"', async () => {
    const report = await analyzeEdited('backend-split', {
      'netns/host/iptables-nft-save': '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\nCOMMIT\n',
    });
    const [f] = byRule(report, RULE);
    assert.match(
      f?.remediation ?? '',
      /exists in no backend that was read .*never created or was flushed, not split\. .*restart kubelet/,
    );
    assert.doesNotMatch(f?.remediation ?? '', /Align kubelet's and kube-proxy's/);
  });

  it('no iptables read → both causes, and how to tell them apart', async () => {
    const report = await analyzeEdited('backend-split', {
      'netns/host/iptables-nft-save': null,
      'netns/host/iptables-legacy-save': null,
      'netns/host/ip6tables-nft-save': null,
      'netns/host/ip6tables-legacy-save': null,
    });
    const [f] = byRule(report, RULE);
    assert.match(
      f?.remediation ?? '',
      /Two causes look alike .*iptables-legacy-save \| grep KUBE-MARK-DROP.*nobody recreated it after a flush/,
    );
  });
});

ruleTester(kubeProxyRestoreFailure, {
  valid: [
    {
      name: 'a kube-proxy log without a failed restore',
      bundle: 'backend-split',
      edits: {
        'logs/kube-proxy.log':
          'I1121 01:14:20.000000       1 server_others.go:72] "Using iptables proxy"\nI1121 01:14:21.000000       1 proxier.go:853] "Syncing iptables rules"\n',
      },
    },
  ],
  invalid: [
    {
      name: "Couldn't load target KUBE-MARK-DROP (backend-split bundle)",
      bundle: 'backend-split',
      findings: [
        {
          severity: 'error',
          subject: {
            netns: 'host',
            command: 'iptables-restore',
            failures: 1,
            chain: 'KUBE-MARK-DROP',
            backend: 'legacy',
          },
          evidence: [
            /^logs\/kube-proxy\.log: .*Couldn't load target `KUBE-MARK-DROP'/,
            'logs/kube-proxy.log: 2026-11-21T01:14:22.000000000Z stderr F ',
            'logs/kube-proxy.log: 2026-11-21T01:14:22.000000000Z stderr F Error occurred at line: 16',
          ],
        },
      ],
    },
  ],
});
