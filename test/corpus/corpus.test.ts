/**
 * The graded corpus: artefacts people outside this project pasted into public issue threads
 * (test/fixtures/corpus/corpus.json names each thread), run through the real CLI. Every case asserts what
 * was read as what, the findings (rule and severity), the rules that ran or were not checked, and the exit
 * status; the last test prints the score.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Report } from '../../src/report/report.js';
import { FIXTURES, runCli } from '../helpers.js';

interface Case {
  id: string;
  source: string;
  command?: 'analyze' | 'explain' | 'lint' | 'pcap';
  files?: string[];
  text?: string;
  expect: {
    kinds?: string[];
    findings?: string[];
    ran?: string[];
    notChecked?: string[];
    problems?: number;
    exit?: number;
    stderr?: string;
    failure?: string;
    remediation?: Record<string, string>;
  };
}

const DIR = join(FIXTURES, 'corpus');
const cases = JSON.parse(readFileSync(join(DIR, 'corpus.json'), 'utf8')) as Case[];
const passed: string[] = [];

async function check(c: Case): Promise<void> {
  const e = c.expect;
  if (c.command === 'explain') {
    const r = await runCli(['explain', c.text ?? '', '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.explanations?.[0]?.failure.id, e.failure, `${c.id}: explained as`);
    return;
  }
  if (c.command === 'lint' || c.command === 'pcap') {
    const r = await runCli([c.command, ...(c.files ?? []).map((f) => join(DIR, f)), '--format', 'json']);
    if (e.exit !== undefined) assert.equal(r.code, e.exit, `${c.id}: exit status (stderr: ${r.stderr})`);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      report.findings.map((f) => `${f.rule}:${f.severity}`).sort(),
      [...(e.findings ?? [])].sort(),
      `${c.id}: findings`,
    );
    return;
  }
  const r = await runCli(['analyze', ...(c.files ?? []).map((f) => join(DIR, f)), '--format', 'json']);
  if (e.exit !== undefined) assert.equal(r.code, e.exit, `${c.id}: exit status (stderr: ${r.stderr})`);
  if (e.stderr) assert.match(r.stderr, new RegExp(e.stderr));
  if (r.code === 2) return;
  const report = JSON.parse(r.stdout) as Report;
  if (e.kinds) {
    const kinds = (report.notes ?? []).map((n) => / read as (\S+) /.exec(n)?.[1]).filter(Boolean);
    assert.deepEqual(kinds.sort(), [...e.kinds].sort(), `${c.id}: kinds`);
  }
  if (e.findings)
    assert.deepEqual(
      report.findings.map((f) => `${f.rule}:${f.severity}`).sort(),
      [...e.findings].sort(),
      `${c.id}: findings`,
    );
  for (const f of report.findings)
    assert.ok(
      f.evidence.length > 0 && f.evidence.every((x) => x.detail.length > 0),
      `${c.id}: ${f.rule} shows evidence`,
    );
  const ran = new Set(report.coverage?.targets.flatMap((t) => t.ran));
  for (const rule of e.ran ?? []) assert.ok(ran.has(rule), `${c.id}: ${rule} ran`);
  const unchecked = new Set(report.skipped.filter((s) => !s.notApplicable).map((s) => s.rule));
  for (const rule of e.notChecked ?? []) assert.ok(unchecked.has(rule), `${c.id}: ${rule} is listed as not checked`);
  if (e.problems !== undefined)
    assert.equal(report.problems.length, e.problems, `${c.id}: problems ${JSON.stringify(report.problems)}`);
  assert.equal(
    report.coverage?.complete,
    false,
    `${c.id}: a few pasted files never check everything, and the report says so`,
  );
  for (const [rule, text] of Object.entries(e.remediation ?? {})) {
    assert.ok(
      report.findings.some((f) => f.rule === rule && f.remediation.includes(text)),
      `${c.id}: ${rule}'s fix says "${text}"`,
    );
  }
}

describe('corpus of real artefacts from public threads', () => {
  for (const c of cases) {
    it(`${c.id} (${c.source})`, async () => {
      await check(c);
      passed.push(c.id);
    });
  }
  after(() => {
    process.stdout.write(
      `corpus score: ${passed.length} of ${cases.length} (${Math.round((passed.length / cases.length) * 100)} %)\n`,
    );
  });
});
