/** Every rule has its page with the fixed headings, and every remediation is a sentence. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../../src/rules/index.js';
import { analyzeFixture, bundleFixture, lintFixture, ROOT } from '../helpers.js';

const HEADINGS = ['## What it detects', '## Why it matters', '## Evidence', '## Fix', '## Verify'];

describe('rule documentation', () => {
  for (const rule of ALL_RULES) {
    it(`${rule.id} has docs/rules/${rule.id}.md with every heading`, () => {
      const page = readFileSync(join(ROOT, 'docs/rules', `${rule.id}.md`), 'utf8');
      assert.ok(page.startsWith(`# ${rule.id}\n`));
      for (const h of HEADINGS) assert.ok(page.includes(`\n${h}\n`), `${rule.id}.md lacks "${h}"`);
      assert.equal(
        page.split('\n')[2],
        `${rule.title}. Severity: ${rule.severity} at most.`,
        `${rule.id}.md: the line under the heading must repeat the rule's title and severity (src/rules/${rule.id}.ts)`,
      );
    });
  }
  it('every page belongs to a rule and every rule file is listed', () => {
    const pages = readdirSync(join(ROOT, 'docs/rules'))
      .map((f) => f.replace(/\.md$/, ''))
      .sort();
    assert.deepEqual(pages, ALL_RULES.map((r) => r.id).sort());
    const files = readdirSync(join(ROOT, 'src/rules')).filter(
      (f) => !['index.ts', 'define-rule.ts', 'lib'].includes(f),
    );
    assert.deepEqual(files.map((f) => f.replace(/\.ts$/, '')).sort(), ALL_RULES.map((r) => r.id).sort());
  });
  it('remediations of real findings are concrete sentences', async () => {
    const lint = await lintFixture(['incidents.yaml', 'more-rules.yaml']);
    const findings = [
      ...(
        await Promise.all(['exhaustion', 'overlap', 'listen-overflow'].map((b) => analyzeFixture(bundleFixture(b))))
      ).flatMap((r) => r.findings),
      ...lint.findings,
    ];
    assert.ok(findings.length >= 4);
    for (const f of findings) {
      assert.ok(f.remediation.trim().length > 20, `${f.rule}: empty remediation`);
      assert.match(f.remediation, /\.$/, `${f.rule}: remediation must end with a full stop`);
      assert.equal(f.docs, `docs/rules/${f.rule}.md`);
      assert.ok(f.evidence.length > 0, `${f.rule}: no evidence`);
    }
  });
});
