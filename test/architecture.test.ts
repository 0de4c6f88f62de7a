/**
 * The design written as a check (docs/ARCHITECTURE.md, "collect, then judge"): I/O lives in src/sources,
 * and the pure layers never reach it. A failure names the file and says where such code belongs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const imports = (file: string) =>
  [
    ...readFileSync(file, 'utf8').matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
    ),
  ].map((m) => m[1] ?? m[2] ?? '');

/** Modules that touch the machine: files, processes, the network, the host. */
const IO = /^node:(fs|fs\/promises|child_process|net|http|https|dgram|os|tls|dns|worker_threads|cluster)$/;
/** Layers that must stay pure: they judge facts and render findings, and never fetch them. */
const PURE = ['rules', 'facts', 'parsers', 'knowledge', 'report', 'explain', 'model', 'plan', 'redact'];

describe('architecture', () => {
  const all = files(SRC).map((f) => ({ path: relative(SRC, f), deps: imports(f) }));

  it('machine I/O modules are imported only under src/sources/', () => {
    const bad = all
      .filter((f) => !f.path.startsWith('sources/'))
      .flatMap((f) => f.deps.filter((d) => IO.test(d)).map((d) => `${f.path} imports ${d}`));
    assert.deepEqual(
      bad,
      [],
      'move the code that reads files, runs commands or asks the host into src/sources/ and hand its result in as data',
    );
  });

  it('the pure layers never import src/sources/ (rules, facts, parsers, knowledge, report, explain, model, plan, redact)', () => {
    const bad = all
      .filter((f) => PURE.includes(f.path.split('/')[0] ?? ''))
      .flatMap((f) => f.deps.filter((d) => /(^|\/)sources\//.test(d)).map((d) => `${f.path} imports ${d}`));
    assert.deepEqual(
      bad,
      [],
      'a rule, parser or reporter gets what it needs as facts; the sources module that gathers them belongs to engine.ts or the CLI',
    );
  });

  it('rules never import the CLI or the engine', () => {
    const bad = all
      .filter((f) => f.path.startsWith('rules/'))
      .flatMap((f) =>
        f.deps.filter((d) => /(^|\/)(cli|engine)(\/|\.js$)/.test(d)).map((d) => `${f.path} imports ${d}`),
      );
    assert.deepEqual(bad, [], 'rules are pure functions of facts; wiring belongs in engine.ts');
  });
});
