import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, FIXTURES, nonEmpty } from '../helpers.js';
import { analyzeBundles } from '../../src/engine.js';
import { NODE_RULES } from '../../src/rules/index.js';
import conntrackTablePressure from '../../src/rules/conntrack-table-pressure.js';
import { ruleTester, corpusText, fixtureText } from './rule-tester.js';

const RULE = 'conntrack-table-pressure';
const sysctl = readFileSync(join(bundleFixture('listen-overflow'), 'netns/host/sysctl.txt'), 'latin1');
const withCount = (count: number, max: number) =>
  sysctl
    .replace(/nf_conntrack_count = \d+/, `nf_conntrack_count = ${count}`)
    .replace(/nf_conntrack_max = \d+/, `nf_conntrack_max = ${max}`);

async function run(edits: Record<string, string | null>) {
  return byRule(await analyzeEdited('listen-overflow', edits), RULE);
}

describe(RULE, () => {
  it('valid: the captured near-empty table → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('listen-overflow')), RULE), []);
  });
  it('invalid: 95% full → error; 80% → warning', async () => {
    const [e] = nonEmpty(await run({ 'netns/host/sysctl.txt': withCount(950, 1000) }));
    assert.deepEqual([e.severity, e.subject.count, e.subject.max], ['error', 950, 1000]);
    const [w] = nonEmpty(await run({ 'netns/host/sysctl.txt': withCount(800, 1000) }));
    assert.equal(w.severity, 'warning');
  });
  it('invalid: drops rising between the samples → error', async () => {
    const stat = readFileSync(
      join(bundleFixture('listen-overflow'), 'netns/host/later/proc/net/stat/nf_conntrack'),
      'latin1',
    );
    const [header = '', first = '', ...rest] = stat.split('\n');
    const dropCol = header.trim().split(/\s+/).indexOf('drop');
    const dropped = first
      .trim()
      .split(/\s+/)
      .map((v, i) => (i === dropCol ? '00000007' : v))
      .join(' ');
    const edited = [header, dropped, ...rest].join('\n');
    const [f] = nonEmpty(await run({ 'netns/host/later/proc/net/stat/nf_conntrack': edited }));
    assert.equal(f.severity, 'error');
    assert.equal(f.subject.dropped, 7);
  });
  it('nf_conntrack not loaded → skipped with that reason', async () => {
    const r = await analyzeEdited('listen-overflow', {
      'netns/host/sysctl.txt': sysctl.replace(/^net\.netfilter.*\n/gm, ''),
    });
    assert.equal(
      r.skipped.find((s) => s.rule === RULE)?.reason,
      'nf_conntrack is not loaded (no net.netfilter.nf_conntrack_count)',
    );
  });
});

describe('conntrack-table-pressure from the kernel log', () => {
  it('"nf_conntrack: table full, dropping packet" lines in dmesg → error with the first and last line', async () => {
    const file = join(FIXTURES, 'corpus', 'dmesg-porter124.txt');
    const report = await analyzeBundles([file], { rules: NODE_RULES });
    const [f, ...rest] = report.findings.filter((x) => x.rule === 'conntrack-table-pressure');
    assert.equal(rest.length, 0);
    assert.equal(f?.severity, 'error');
    assert.equal(f?.subject.tableFullLines, 3);
    assert.deepEqual(
      f?.evidence.map((e) => [e.source, e.line]),
      [
        [file, 2],
        [file, 4],
      ],
    );
  });
});

const conntrackSysctls = (count: number, max: number) =>
  fixtureText('listen-overflow', 'netns/host/sysctl.txt')
    .replace(/nf_conntrack_count = \d+/, `nf_conntrack_count = ${count}`)
    .replace(/nf_conntrack_max = \d+/, `nf_conntrack_max = ${max}`);

ruleTester(conntrackTablePressure, {
  valid: [{ name: 'the captured near-empty table', bundle: 'listen-overflow' }],
  invalid: [
    {
      name: '950 of 1000 entries',
      bundle: 'listen-overflow',
      edits: { 'netns/host/sysctl.txt': conntrackSysctls(950, 1000) },
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', count: 950, max: 1000 },
          evidence: ['sysctl: net.netfilter.nf_conntrack_count = 950', 'sysctl: net.netfilter.nf_conntrack_max = 1000'],
        },
      ],
    },
    {
      name: '800 of 1000 entries',
      bundle: 'listen-overflow',
      edits: { 'netns/host/sysctl.txt': conntrackSysctls(800, 1000) },
      findings: [
        {
          severity: 'warning',
          subject: { netns: 'host', count: 800, max: 1000 },
          evidence: ['sysctl: net.netfilter.nf_conntrack_count = 800'],
        },
      ],
    },
    {
      name: '"table full, dropping packet" in the kernel log (porter#124)',
      bundle: 'listen-overflow',
      edits: { 'logs/kernel.log': corpusText('dmesg-porter124.txt') },
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', tableFullLines: 3 },
          evidence: [/^logs\/kernel\.log: .*nf_conntrack: table full, dropping packet/],
        },
      ],
    },
  ],
});
