import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import iptablesBackendSplit from '../../src/rules/iptables-backend-split.js';
import { ruleTester } from './rule-tester.js';

const RULE = 'iptables-backend-split';

describe(RULE, () => {
  it('invalid: kubelet chains in nf_tables, kube-proxy chains in legacy (failure 3, captured) → error with both chain sets', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('backend-split')), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.deepEqual({ netns: f.subject.netns, family: f.subject.family }, { netns: 'host', family: 'IPv4' });
    assert.match(f.message, /legacy holds kube-proxy's, nf_tables holds kubelet's/);
    assert.ok(f.evidence.some((e) => e.source === 'iptables-legacy-save' && e.detail === ':KUBE-SERVICES - [0:0]'));
    assert.ok(f.evidence.some((e) => e.source === 'iptables-nft-save' && e.detail === ':KUBE-MARK-DROP - [0:0]'));
    assert.ok(
      f.evidence.some(
        (e) => e.source === 'iptables-nft-save' && e.detail.startsWith('# Warning: iptables-legacy tables present'),
      ),
    );
    assert.ok(f.evidence.some((e) => e.source === 'iptables -V' && e.detail === 'iptables v1.8.9 (nf_tables)'));
  });

  it('valid: a whole kube-proxy ruleset in nf_tables only → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('kube-proxy-nft')), RULE), []);
  });

  it("invalid: kube-proxy's own iptables is legacy while the host's is nf_tables → error before the rules split", async () => {
    const report = await analyzeEdited('kube-proxy-nft', {
      'host/kube-proxy': 'pid: 812\niptables: /usr/sbin/iptables -> xtables-legacy-multi\nbackend: legacy\n',
    });
    const [f] = nonEmpty(byRule(report, RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      { kube: f.subject.kubeProxyBackend, host: f.subject.hostBackend },
      { kube: 'legacy', host: 'nf_tables' },
    );
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'host/kube-proxy' &&
          e.line === 2 &&
          e.detail === 'iptables: /usr/sbin/iptables -> xtables-legacy-multi',
      ),
    );
  });

  it('skipped with the reason when no iptables-save was collected', async () => {
    const report = await analyzeEdited('kube-proxy-nft', {
      'netns/host/iptables-nft-save': null,
      'netns/host/iptables-legacy-save': null,
      'netns/host/ip6tables-nft-save': null,
      'netns/host/ip6tables-legacy-save': null,
    });
    assert.deepEqual(byRule(report, RULE), []);
    assert.ok(report.skipped.some((s) => s.rule === RULE && /no iptables-save output/.test(s.reason)));
  });
});

ruleTester(iptablesBackendSplit, {
  valid: [{ name: 'kube-proxy and kubelet both in nf_tables', bundle: 'kube-proxy-nft' }],
  invalid: [
    {
      name: 'KUBE chains split between legacy and nft (backend-split bundle)',
      bundle: 'backend-split',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', family: 'IPv4', legacyChains: 5, nftChains: 6 },
          evidence: [
            'iptables-legacy-save: :KUBE-POSTROUTING - [0:0]',
            'iptables-legacy-save: :KUBE-SERVICES - [0:0]',
            'iptables-legacy-save: :KUBE-EXTERNAL-SERVICES - [0:0]',
            'iptables-legacy-save: :KUBE-FORWARD - [0:0]',
          ],
        },
      ],
    },
  ],
});
