import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import iptablesMissingChain from '../../src/rules/iptables-missing-chain.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'iptables-missing-chain';

describe(RULE, () => {
  it('invalid: KUBE-MARK-DROP only in nf_tables, kube-proxy on legacy (failure 3, captured) → error, basis chain sets + log', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('backend-split')), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      { chain: f.subject.chain, table: f.subject.table, backend: f.subject.backend, missing: f.subject.missing },
      {
        chain: 'KUBE-MARK-DROP',
        table: 'nat',
        backend: 'legacy',
        missing: 'KUBE-MARK-DROP,KUBE-MARK-MASQ,KUBE-NODEPORTS',
      },
    );
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'kube-proxy backend' &&
          /legacy, from the backend kube-proxy's failed iptables-restore names/.test(e.detail),
      ),
    );
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'iptables-legacy-save' &&
          e.detail === '*nat chains: PREROUTING INPUT OUTPUT POSTROUTING KUBE-POSTROUTING KUBE-SERVICES',
      ),
    );
    assert.ok(f.evidence.some((e) => e.source === 'iptables-nft-save' && e.detail === ':KUBE-MARK-DROP - [0:0]'));
    assert.ok(
      f.evidence.some(
        (e) => e.source === 'logs/kube-proxy.log' && /Couldn't load target `KUBE-MARK-DROP'/.test(e.detail),
      ),
    );
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'basis' && e.detail === "chain sets of both backends + the failed restore in kube-proxy's log",
      ),
    );
    assert.match(f.remediation, /iptables-legacy-save -t nat \| grep '\^:KUBE-MARK-DROP '/);
  });

  it("invalid without the log: the backend comes from where kube-proxy's chains are, basis says so", async () => {
    const [f] = nonEmpty(byRule(await analyzeEdited('backend-split', { 'logs/kube-proxy.log': null }), RULE));
    assert.equal(f.subject.chain, 'KUBE-MARK-DROP');
    assert.ok(
      f.evidence.some((e) => e.source === 'kube-proxy backend' && /from where kube-proxy's chains are/.test(e.detail)),
    );
    assert.ok(f.evidence.some((e) => e.source === 'basis' && e.detail === 'chain sets of both backends'));
  });

  it('kube-proxy 1.28, mode unknown: KUBE-MARK-DROP no longer needed, only what both modes create is reported', async () => {
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('backend-split', { 'logs/kube-proxy.log': null, 'host/kube-proxy': 'version: v1.28.2\n' }),
        RULE,
      ),
    );
    assert.equal(f.subject.missing, 'KUBE-MARK-MASQ');
    assert.match(f.message, /kube-proxy's own KUBE-MARK-MASQ being absent/);
  });

  it('iptables mode from the command line adds KUBE-NODEPORTS', async () => {
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('backend-split', {
          'logs/kube-proxy.log': null,
          'host/kube-proxy': 'version: v1.28.2\ncommand: kube-proxy --proxy-mode=iptables\n',
        }),
        RULE,
      ),
    );
    assert.equal(f.subject.missing, 'KUBE-MARK-MASQ,KUBE-NODEPORTS');
  });

  it('valid: a whole kube-proxy ruleset in one backend → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft')), RULE), []);
  });

  it('valid: a node without kube-proxy chains (the exhaustion fixture) → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE), []);
  });
});

ruleTester(iptablesMissingChain, {
  valid: [{ name: 'every chain kube-proxy jumps to exists in nf_tables', bundle: 'kube-proxy-nft' }],
  invalid: [
    {
      name: 'KUBE-MARK-DROP only in nft while kube-proxy restores into legacy',
      bundle: 'backend-split',
      findings: [
        {
          severity: 'error',
          subject: {
            netns: 'host',
            backend: 'legacy',
            chain: 'KUBE-MARK-DROP',
            table: 'nat',
            missing: 'KUBE-MARK-DROP,KUBE-MARK-MASQ,KUBE-NODEPORTS',
          },
          evidence: [
            "kube-proxy backend: legacy, from the backend kube-proxy's failed iptables-restore names",
            /^logs\/kube-proxy\.log: .*Failed to execute iptables-restore: exit status 2 \(iptables-restore v1\.8\.9 \(legacy\): Couldn't load target `KUBE-MARK-DROP'/,
          ],
        },
      ],
    },
  ],
});
