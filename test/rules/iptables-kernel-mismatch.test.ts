import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeBundles } from '../../src/engine.js';
import { NODE_RULES } from '../../src/rules/index.js';
import { analyzeEdited, byRule, FIXTURES } from '../helpers.js';
import iptablesKernelMismatch from '../../src/rules/iptables-kernel-mismatch.js';
import { ruleTester, corpusText } from './rule-tester.js';

const RULE = 'iptables-kernel-mismatch';
const corpus = (...files: string[]) =>
  analyzeBundles(
    files.map((f) => join(FIXTURES, 'corpus', f)),
    { rules: NODE_RULES },
  );

describe(RULE, () => {
  it('invalid: unknown option "--xor-mark" (kube-proxy#25, kernel 5.15) → error naming the option; the fix loads the module', async () => {
    const [f, ...rest] = byRule(await corpus('kube-proxy-xor-mark-25.log', 'uname-xor-mark-25.txt'), RULE);
    assert.equal(rest.length, 0);
    assert.equal(f?.severity, 'error');
    assert.deepEqual(
      { kind: f?.subject.kind, refused: f?.subject.refused, backend: f?.subject.backend },
      { kind: 'unknown-option', refused: '--xor-mark', backend: 'nf_tables' },
    );
    assert.ok(f?.evidence.some((e) => e.line === 2 && /unknown option "--xor-mark"/.test(e.detail)));
    assert.ok(f?.evidence.some((e) => e.source === 'uname -r' && e.detail === '5.15.0-127-generic'));
    assert.match(f?.remediation ?? '', /modprobe xt_MARK/);
  });

  it('invalid: CHAIN_USER_DEL failed on CentOS 7 (kubernetes#92250, 3.10) → the fix is legacy iptables, for that kernel', async () => {
    const [f] = byRule(await corpus('kube-proxy-92250.log', 'uname-92250.txt'), RULE);
    assert.equal(f?.subject.kind, 'nft-operation-failed');
    assert.equal(f?.subject.refused, 'CHAIN_USER_DEL');
    assert.match(f?.message ?? '', /kernel 3\.10 .*3\.x kernels/);
    assert.match(f?.remediation ?? '', /legacy iptables/);
  });

  it("invalid: table missing and a match missing from kube-proxy's own iptables calls (rke#642, minikube#8217)", async () => {
    const [t] = byRule(await corpus('kube-proxy-rke642.log'), RULE);
    assert.deepEqual(
      { kind: t?.subject.kind, refused: t?.subject.refused, times: t?.subject.times },
      { kind: 'table-missing', refused: 'nat', times: 2 },
    );
    assert.match(t?.remediation ?? '', /modprobe iptable_nat/);
    const kinds = byRule(await corpus('kube-proxy-minikube8217.log'), RULE)
      .map((f) => `${String(f.subject.kind)}:${String(f.subject.refused)}`)
      .sort();
    assert.deepEqual(kinds, ['match-missing:comment', 'table-missing:mangle']);
  });

  it('without the kernel release the evidence says the fix depends on it', async () => {
    const [f] = byRule(await corpus('kube-proxy-xor-mark-25.log'), RULE);
    assert.ok(
      f?.evidence.some(
        (e) => e.source === 'uname -r' && /not read: the fix depends on the kernel version/.test(e.detail),
      ),
    );
  });

  it('valid: a restore failure on a missing chain is not a kernel refusal', async () => {
    const report = await analyzeEdited('backend-split', {});
    assert.deepEqual(byRule(report, RULE), []);
  });
});

ruleTester(iptablesKernelMismatch, {
  valid: [{ name: "a restore that failed on a missing chain, not on the kernel's support", bundle: 'backend-split' }],
  invalid: [
    {
      name: 'unknown option "--xor-mark" on kernel 5.15 (kube-proxy#25)',
      bundle: 'backend-split',
      edits: {
        'logs/kube-proxy.log': corpusText('kube-proxy-xor-mark-25.log'),
        'host/kernel-release': corpusText('uname-xor-mark-25.txt'),
      },
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', kind: 'unknown-option', refused: '--xor-mark', backend: 'nf_tables' },
          evidence: [/^logs\/kube-proxy\.log: .*Failed to execute iptables-restore/, /unknown option "--xor-mark"/],
        },
      ],
    },
  ],
});
