/** IPVS is not in the kernel here: the bundle holds captured-format text (see test/fixtures/ipvs/README.md). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, byRule } from '../helpers.js';
import ipvsConnReuseMode from '../../src/rules/ipvs-conn-reuse-mode.js';
import { ruleTester, fixtureText } from './rule-tester.js';

const RULE = 'ipvs-conn-reuse-mode';

async function judge(kernel: string, reuse: number, nodest: number) {
  const report = await analyzeEdited('ipvs-rolling-update', {
    'host/kernel-release': `${kernel}\n`,
    'netns/host/sysctl.txt': `net.ipv4.vs.conn_reuse_mode = ${reuse}\nnet.ipv4.vs.expire_nodest_conn = ${nodest}\n`,
  });
  return byRule(report, RULE).map((f) => `${f.subject.sysctl}=${f.subject.value}`);
}

describe(RULE, () => {
  const cases: [string, number, number, string[]][] = [
    ['4.19.0-18-amd64', 0, 1, ['net.ipv4.vs.conn_reuse_mode=0']],
    ['4.19.0-18-amd64', 1, 1, ['net.ipv4.vs.conn_reuse_mode=1']],
    ['5.4.0-150-generic', 1, 1, ['net.ipv4.vs.conn_reuse_mode=1']],
    ['5.4.0-150-generic', 0, 0, ['net.ipv4.vs.conn_reuse_mode=0', 'net.ipv4.vs.expire_nodest_conn=0']],
    ['5.10.0-23-amd64', 1, 1, []],
    ['5.10.0-23-amd64', 0, 1, ['net.ipv4.vs.conn_reuse_mode=0']],
    ['6.1.0-13-amd64', 1, 1, []],
    ['6.1.0-13-amd64', 1, 0, ['net.ipv4.vs.expire_nodest_conn=0']],
  ];
  for (const [kernel, reuse, nodest, expected] of cases) {
    it(`kernel ${kernel}, conn_reuse_mode=${reuse}, expire_nodest_conn=${nodest} → ${expected.join(' + ') || 'nothing'}`, async () => {
      assert.deepEqual(await judge(kernel, reuse, nodest), expected);
    });
  }
  it('the kernel decides the advice for conn_reuse_mode=0', async () => {
    const old = byRule(await analyzeEdited('ipvs-rolling-update', {}), RULE).find(
      (f) => f.subject.value === 0 && f.subject.sysctl === 'net.ipv4.vs.conn_reuse_mode',
    )!;
    assert.equal(old.severity, 'warning');
    assert.match(old.remediation, /^Upgrade the node kernel to 5\.9/);
    assert.ok(old.evidence.some((e) => e.source === 'uname -r' && e.detail === '4.19.0-18-amd64'));
  });
});

ruleTester(ipvsConnReuseMode, {
  valid: [
    {
      name: 'conn_reuse_mode = 1 and expire_nodest_conn = 1 on kernel 5.10 (the 1 s delay fixed in 5.9)',
      bundle: 'ipvs-rolling-update',
      edits: {
        'host/kernel-release': '5.10.0-28-amd64\n',
        'netns/host/sysctl.txt': fixtureText('ipvs-rolling-update', 'netns/host/sysctl.txt')
          .replace('conn_reuse_mode = 0', 'conn_reuse_mode = 1')
          .replace('expire_nodest_conn = 0', 'expire_nodest_conn = 1'),
      },
    },
  ],
  invalid: [
    {
      name: 'both at 0 on kernel 4.19 (ipvs-rolling-update bundle)',
      bundle: 'ipvs-rolling-update',
      findings: [
        {
          severity: 'warning',
          subject: { netns: 'host', sysctl: 'net.ipv4.vs.conn_reuse_mode', value: 0 },
          evidence: ['sysctl: net.ipv4.vs.conn_reuse_mode = 0', 'uname -r: 4.19.0-18-amd64'],
        },
        {
          severity: 'warning',
          subject: { netns: 'host', sysctl: 'net.ipv4.vs.expire_nodest_conn', value: 0 },
          evidence: ['sysctl: net.ipv4.vs.expire_nodest_conn = 0', 'uname -r: 4.19.0-18-amd64'],
        },
      ],
    },
  ],
});
