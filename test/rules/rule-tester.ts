/**
 * The rule tester (issue 14): node rules as pure functions of facts. A case is a captured fixture bundle held
 * in memory, with some artefacts replaced; the facts are built from it by the same replay order and builder
 * as `analyze`, with no file system in between, and only the rule under test runs.
 *
 * - a valid case must yield no finding from the rule;
 * - an invalid case lists every finding it expects, whole: severity, subject fields, message pattern and
 *   the evidence lines (as `source: detail`, in order, or a prefix of them); a case expecting nothing fails,
 *   as does a finding nobody expected;
 * - two cases with the same name or the same input are rejected (a copy tests nothing new);
 * - every finding, valid or not, passes the contract checks: a remediation that is a sentence, its docs
 *   page, evidence that says whether it is a line read or a statement derived.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { FactsBuilder } from '../../src/facts/builder.js';
import { replayArtefacts, type ArtefactReader, type ReplayManifest } from '../../src/facts/replay.js';
import type { ArtefactSink } from '../../src/facts/sink.js';
import type { NodeFacts } from '../../src/facts/types.js';
import { parsePortRange } from '../../src/parsers/port-range.js';
import type { Evidence, Finding, Severity } from '../../src/model/finding.js';
import type { NodeRule } from '../../src/rules/define-rule.js';
import { runNodeRules } from '../../src/rules/lib/run.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { ROOT, bundleFixture } from '../helpers.js';

/** Bundle-relative path → content; null in an edit removes the artefact. */
type Artefacts = Record<string, string>;

interface InMemoryBundle {
  manifest: ReplayManifest;
  files: Artefacts;
}

const loaded = new Map<string, InMemoryBundle>();

/** A committed fixture bundle read once into memory (its manifest.json aside). */
function fixture(name: string): InMemoryBundle {
  const cached = loaded.get(name);
  if (cached) return cached;
  const dir = bundleFixture(name);
  const files: Artefacts = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  const manifest = JSON.parse(files['manifest.json'] ?? 'null') as ReplayManifest | null;
  assert.ok(manifest, `fixture bundle ${name} has a manifest.json`);
  delete files['manifest.json'];
  const bundle = { manifest, files };
  loaded.set(name, bundle);
  return bundle;
}

function memoryReader(files: Artefacts): ArtefactReader {
  const under = (dir: string) =>
    Object.keys(files)
      .filter((k) => k.startsWith(`${dir}/`))
      .map((k) => k.slice(dir.length + 1))
      .sort();
  return {
    text: (rel) => files[rel],
    stream: (rel: string, sink: ArtefactSink) => {
      const content = files[rel];
      if (content === undefined) return;
      const w = sink.stream(rel);
      w.push(Buffer.from(content, 'latin1'));
      w.end();
    },
    files: (dir) => under(dir).filter((n) => !n.includes('/')),
    tree: under,
  };
}

/** The facts `analyze` would build from a fixture bundle with `edits` applied, built in memory. */
export async function factsFrom(bundle: string, edits: Record<string, string | null> = {}): Promise<NodeFacts> {
  const base = fixture(bundle);
  const files = { ...base.files };
  for (const [path, content] of Object.entries(edits)) {
    if (content === null) delete files[path];
    else files[path] = content;
  }
  const manifest = base.manifest;
  const builder = new FactsBuilder({
    target: { kind: 'bundle', name: `${bundle} (in memory)` },
    byteOrder: manifest.byteOrder ?? 'LE',
    nodePorts: manifest.nodePortRange
      ? { range: parsePortRange(manifest.nodePortRange), origin: manifest.nodePortRangeOrigin ?? 'bundle manifest' }
      : { range: DEFAULT_NODEPORT_RANGE, origin: 'Kubernetes default' },
  });
  await replayArtefacts(memoryReader(files), manifest, builder);
  return builder.facts();
}

/** A case's input: a fixture bundle, and the artefacts replaced in it. */
interface CaseInput {
  bundle: string;
  edits?: Record<string, string | null>;
}

interface ValidCase extends CaseInput {
  name: string;
}

/** One expected finding. `evidence` lists `source: detail` lines, in order; the finding's may go on after them. */
interface ExpectedFinding {
  severity: Severity;
  subject: Record<string, string | number | boolean | undefined>;
  message?: RegExp;
  evidence: (string | RegExp)[];
}

interface InvalidCase extends CaseInput {
  name: string;
  findings: ExpectedFinding[];
}

const evidenceLine = (e: Evidence) => `${e.source}: ${e.detail}`;

/** What every finding must carry, whichever rule made it. */
export function assertFindingContract(f: Finding): void {
  assert.match(f.remediation, /\S.*[.)`]\s*$/s, `${f.rule}: the remediation ends as a sentence`);
  assert.equal(f.docs, `docs/rules/${f.rule}.md`);
  assert.ok(existsSync(join(ROOT, f.docs)), `${f.docs} exists`);
  assert.ok(f.evidence.length > 0, `${f.rule}: a finding shows evidence`);
  for (const e of f.evidence) {
    assert.ok(e.kind === 'line' || e.kind === 'derived', `${f.rule}: evidence says what it is`);
    assert.ok(e.source.length > 0, `${f.rule}: evidence names its source`);
    if (e.kind === 'derived') assert.equal(e.line, undefined, `${f.rule}: a derived statement has no line number`);
    if (e.line !== undefined) assert.ok(Number.isInteger(e.line) && e.line >= 1);
  }
}

function assertFinding(actual: Finding, expected: ExpectedFinding, where: string): void {
  assert.equal(actual.severity, expected.severity, `${where}: severity`);
  for (const [key, value] of Object.entries(expected.subject))
    assert.deepEqual(actual.subject[key], value, `${where}: subject.${key}`);
  if (expected.message) assert.match(actual.message, expected.message, `${where}: message`);
  const lines = actual.evidence.map(evidenceLine);
  assert.ok(
    lines.length >= expected.evidence.length,
    `${where}: ${expected.evidence.length} evidence lines expected, got:\n${lines.join('\n')}`,
  );
  expected.evidence.forEach((want, i) => {
    if (typeof want === 'string') assert.equal(lines[i], want, `${where}: evidence line ${i + 1}`);
    else assert.match(lines[i] ?? '', want, `${where}: evidence line ${i + 1}`);
  });
}

async function run(rule: NodeRule, c: CaseInput): Promise<Finding[]> {
  const facts = await factsFrom(c.bundle, c.edits);
  const result = runNodeRules(facts, [rule]);
  const ran = result.coverage.some((cov) => cov.ran.includes(rule.id));
  assert.ok(
    ran,
    `${rule.id} did not run on this input: ${result.skipped.map((s) => s.reason).join('; ') || 'no namespace in scope'}`,
  );
  for (const f of result.findings) assertFindingContract(f);
  return result.findings;
}

/** Registers one `describe` per rule: its valid and invalid cases as tests. */
export function ruleTester(rule: NodeRule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  const all = [...cases.valid, ...cases.invalid];
  const names = new Set<string>();
  const inputs = new Set<string>();
  for (const c of all) {
    if (names.has(c.name)) throw new Error(`${rule.id}: two cases are named "${c.name}"`);
    names.add(c.name);
    const input = JSON.stringify([c.bundle, c.edits ?? {}]);
    if (inputs.has(input)) throw new Error(`${rule.id}: case "${c.name}" repeats another case's input`);
    inputs.add(input);
  }
  for (const c of cases.invalid)
    if (c.findings.length === 0) throw new Error(`${rule.id}: invalid case "${c.name}" expects no finding`);

  describe(`${rule.id} (rule tester)`, () => {
    for (const c of cases.valid)
      it(`valid: ${c.name}`, async () => {
        assert.deepEqual((await run(rule, c)).map(evidenceSummary), []);
      });
    for (const c of cases.invalid)
      it(`invalid: ${c.name}`, async () => {
        const findings = await run(rule, c);
        assert.equal(
          findings.length,
          c.findings.length,
          `${c.findings.length} finding(s) expected, got ${findings.length}:\n${findings.map(evidenceSummary).join('\n')}`,
        );
        findings.forEach((f, i) => {
          const want = c.findings[i];
          if (want) assertFinding(f, want, `${c.name}, finding ${i + 1}`);
        });
      });
  });
}

/** A finding in one line for failure messages: what was found where, and why. */
function evidenceSummary(f: Finding): string {
  return `${f.severity} ${JSON.stringify(f.subject)} ${f.message.slice(0, 120)} | ${f.evidence.map(evidenceLine).join(' | ')}`;
}

/** A file of the public-thread corpus (test/fixtures/corpus), to put into a case's bundle. */
export function corpusText(name: string): string {
  return readFileSync(join(ROOT, 'test/fixtures/corpus', name), 'latin1');
}

/** An artefact of a committed fixture bundle, to edit into a variant. */
export function fixtureText(bundle: string, path: string): string {
  const text = fixture(bundle).files[path];
  assert.ok(text !== undefined, `${bundle} has ${path}`);
  return text;
}
