/**
 * Failure 3 built for real: kubelet's chains made with iptables-nft, kube-proxy's with iptables-legacy, and
 * kube-proxy's iptables-restore failing on the real kernel; then the real CLI diagnoses the namespace.
 * Needs root and both iptables backends (CI installs them); skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, ROOT, byRule, runJson, nonEmpty } from '../helpers.js';
import { scenarioSkipReason, withNetns } from './netns.js';

const skip = scenarioSkipReason([
  'iptables-legacy-restore',
  'iptables-nft-restore',
  'iptables-legacy-save',
  'iptables-nft-save',
]);
const rules = (name: string) => readFile(join(FIXTURES, 'iptables', name), 'utf8');
const IPTABLES_RULES = ['iptables-backend-split', 'iptables-missing-chain', 'kube-proxy-restore-failure'];

/** kube-proxy 1.13's log line around the restore's stderr, as the container runtime stores it. */
function asKubeProxyLog(status: number, stderr: string): string {
  const r = spawnSync('python3', [join(ROOT, 'test/scenarios/helpers/kube-proxy-log.py'), String(status)], {
    input: stderr,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

async function withTemp<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'nd-ipt-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('scenario: iptables backend split (failure 3)', { skip }, () => {
  it('kubelet on nf_tables, kube-proxy on legacy: the restore fails for real → split, missing chain, restore failure', () =>
    withNetns(['split'], (ns) =>
      withTemp(async (dir) => {
        assert.equal(ns.restore('iptables-nft-restore', await rules('kubelet-1.13.rules'), '--noflush').status, 0);
        assert.equal(
          ns.restore('iptables-legacy-restore', await rules('kube-proxy-1.13-ensure.rules'), '--noflush').status,
          0,
        );
        const sync = ns.restore('iptables-legacy-restore', await rules('kube-proxy-1.13-sync.rules'), '--noflush');
        assert.equal(sync.status, 2, 'iptables-legacy-restore rejects the batch');
        assert.match(
          sync.stderr,
          /^iptables-restore v[\d.]+ \(legacy\): Couldn't load target `KUBE-MARK-DROP':No such file or directory/,
        );
        const log = join(dir, '0.log');
        await writeFile(log, asKubeProxyLog(sync.status!, sync.stderr));

        const { code, report } = await runJson(
          ['node', '--netns', 'self', '--as-node', '--interval', '0', '--kube-proxy-log', log],
          { netns: ns.name },
        );
        assert.equal(code, 1);
        const [split, ...moreSplits] = nonEmpty(byRule(report, 'iptables-backend-split'));
        assert.equal(moreSplits.length, 0);
        assert.deepEqual(
          { severity: split.severity, netns: split.subject.netns, family: split.subject.family },
          { severity: 'error', netns: 'host', family: 'IPv4' },
        );
        assert.ok(
          split.evidence.some((e) => e.source === 'iptables-legacy-save' && e.detail === ':KUBE-SERVICES - [0:0]'),
        );
        assert.ok(
          split.evidence.some((e) => e.source === 'iptables-nft-save' && e.detail === ':KUBE-MARK-DROP - [0:0]'),
        );

        const [missing] = nonEmpty(byRule(report, 'iptables-missing-chain'));
        assert.deepEqual(
          {
            severity: missing.severity,
            chain: missing.subject.chain,
            table: missing.subject.table,
            backend: missing.subject.backend,
          },
          { severity: 'error', chain: 'KUBE-MARK-DROP', table: 'nat', backend: 'legacy' },
        );
        assert.ok(
          missing.evidence.some((e) => e.source === 'basis' && /the failed restore in kube-proxy's log/.test(e.detail)),
        );

        const [restore] = nonEmpty(byRule(report, 'kube-proxy-restore-failure'));
        assert.deepEqual(
          {
            severity: restore.severity,
            failures: restore.subject.failures,
            chain: restore.subject.chain,
            backend: restore.subject.backend,
          },
          { severity: 'error', failures: 1, chain: 'KUBE-MARK-DROP', backend: 'legacy' },
        );
        assert.ok(
          restore.evidence.some(
            (e) => e.source === 'logs/kube-proxy.log' && e.detail.endsWith(sync.stderr.split('\n', 1).join('')),
          ),
        );

        // The trace the finding points to, live: the restore failed, so no backend holds the Service's rules
        // and a connection to the `kubernetes` Service goes on untranslated; with no route for it here the
        // kernel refuses it at once, as the trace's route line says (ENETUNREACH).
        const see = missing.evidence.find((e) => e.source === 'see it');
        assert.match(see?.detail ?? '', /^netdoctor trace --to /);
        const traced = await runJson(['trace', '--to', '10.96.0.1:443', '--netns', 'self', '--as-node'], {
          netns: ns.name,
        });
        const backends = (
          traced.report as unknown as {
            backends: {
              save: string;
              leaves: { packet: { dst: string; dport: number }; verdict: { kind: string }; route?: { kind: string } }[];
            }[];
          }
        ).backends;
        assert.deepEqual(backends.map((b) => b.save).sort(), ['iptables-legacy-save', 'iptables-nft-save']);
        for (const b of backends)
          assert.deepEqual(
            b.leaves.map((l) => [l.verdict.kind, `${l.packet.dst}:${l.packet.dport}`, l.route?.kind]),
            [['accepted', '10.96.0.1:443', 'none']],
            `${b.save}: untranslated, and no route`,
          );
        const dialled = JSON.parse(
          await ns.script(join(ROOT, 'test/scenarios/helpers/endpoints.py'), 'count', '10.96.0.1', '443', '1', '2'),
        ) as {
          errors: Record<string, number>;
        };
        assert.deepEqual(dialled.errors, { ENETUNREACH: 1 });

        // Seen from outside, through nsenter, it is one more namespace: the split is found there too, while
        // kube-proxy's chains are only judged in the node's own namespace.
        const outside = await runJson([
          'node',
          '--netns',
          ns.name,
          '--interval',
          '0',
          '--rules',
          'iptables-backend-split,iptables-missing-chain',
        ]);
        assert.deepEqual(
          outside.report.findings.map((f) => [f.rule, f.subject.name, f.subject.family]),
          [['iptables-backend-split', ns.name, 'IPv4']],
        );
      }),
    ));

  it('a whole kube-proxy ruleset in nf_tables only, and a quiet log → none of the iptables findings', () =>
    withNetns(['kpok'], (ns) =>
      withTemp(async (dir) => {
        assert.equal(ns.restore('iptables-nft-restore', await rules('kube-proxy.rules')).status, 0);
        const log = join(dir, '0.log');
        await writeFile(
          log,
          '2026-11-21T00:53:40.000000000Z stderr F I1121 00:53:40.000001       1 proxier.go:820] "SyncProxyRules complete" elapsed="12ms"\n',
        );
        const { report } = await runJson(
          [
            'node',
            '--netns',
            'self',
            '--as-node',
            '--interval',
            '0',
            '--kube-proxy-log',
            log,
            '--rules',
            IPTABLES_RULES.join(','),
          ],
          { netns: ns.name },
        );
        assert.deepEqual(report.findings, []);
        assert.deepEqual(report.skipped, [], 'every iptables rule ran');
      }),
    ));
});

describe('scenario: NodePorts from KUBE-NODEPORTS', { skip }, () => {
  it("a client on source port 31000, the NodePort of default/web in kube-proxy's rules → error naming the Service", () =>
    withNetns(['nodeport'], async (ns) => {
      assert.equal(ns.restore('iptables-nft-restore', await rules('kube-proxy.rules')).status, 0);
      ns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
      await ns.helper('listen', '127.0.0.1', '80', '128', 'accept');
      assert.deepEqual(JSON.parse(await ns.helper('connect-from', '127.0.0.1', '80', '31000')), {
        opened: 1,
        sport: 31000,
      });
      // The range we pass leaves 31000 out: only the KUBE-NODEPORTS rule tells it is a NodePort.
      const { report } = await runJson(
        [
          'node',
          '--netns',
          'self',
          '--as-node',
          '--interval',
          '0',
          '--nodeport-range',
          '32000-32767',
          '--rules',
          'source-port-is-nodeport',
        ],
        { netns: ns.name },
      );
      const [f, ...rest] = nonEmpty(byRule(report, 'source-port-is-nodeport'));
      assert.equal(rest.length, 0);
      assert.deepEqual(
        { severity: f.severity, ports: f.subject.ports, nodePorts: f.subject.nodePorts },
        { severity: 'error', ports: '31000', nodePorts: '31000' },
      );
      assert.ok(
        f.evidence.some((e) => e.source === 'iptables-nft-save' && /--dport 31000 -j KUBE-EXT-WEB$/.test(e.detail)),
      );
      assert.ok(f.evidence.some((e) => /^source port 31000 → 127\.0\.0\.1:80: /.test(e.detail)));
    }));
});
