/** Arbitrary YAML never crashes the linter; broken YAML becomes a problem with a position. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { WORKLOAD_KINDS } from '../../src/facts/workloads.js';
import { sysctlWritesOfScript } from '../../src/parsers/shell-sysctl.js';
import { ManifestInputError } from '../../src/sources/manifests.js';
import { lintText, manifestFixture } from '../helpers.js';

async function lintsCleanly(text: string): Promise<void> {
  let report;
  try {
    report = await lintText(text);
  } catch (e) {
    // Input with no document at all is the one refusal allowed: "nothing was linted" (exit 2).
    assert.ok(e instanceof ManifestInputError && /no Kubernetes documents/.test(e.message), String(e));
    return;
  }
  for (const p of report.problems) assert.ok(p.line! >= 1 && p.column! >= 1 && p.reason.length > 0, JSON.stringify(p));
  for (const f of report.findings)
    assert.ok(Number(f.subject.line) >= 1 && Number(f.subject.column) >= 1 && f.evidence.length > 0);
}

const SHELL_WORDS = [
  'if',
  'then',
  'else',
  'elif',
  'fi',
  '[',
  ']',
  '[[',
  ']]',
  'test',
  '!',
  '"$POD_IP"',
  '"$HOST_IP"',
  '!=',
  '=',
  '-ne',
  'sysctl',
  '-w',
  '-p',
  'net.core.somaxconn=1',
  'echo',
  '1',
  '>',
  '/proc/sys/net/core/somaxconn',
  '&&',
  '||',
  ';',
  '\n',
  'exit',
  '0',
  'nsenter',
  '-t',
  '-n',
  'sh',
  '-c',
  "'",
  '"',
  '\\',
  '(',
  ')',
  '{',
  '}',
  'while',
  'do',
  'done',
  'case',
  'esac',
  '#',
];

describe('lint fuzzing', () => {
  it('arbitrary text', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), lintsCleanly), { numRuns: 300 });
  });

  it('manifest-shaped objects with arbitrary contents', async () => {
    const workload = fc.record({
      apiVersion: fc.constant('v1'),
      kind: fc.constantFrom(...WORKLOAD_KINDS, 'List'),
      metadata: fc.record({
        name: fc.string(),
        annotations: fc.dictionary(fc.constantFrom('netdoctor.io/ignore', 'x'), fc.anything()),
      }),
      spec: fc.anything(),
      items: fc.array(fc.anything(), { maxLength: 3 }),
    });
    const podLike = fc.record({
      kind: fc.constantFrom(...WORKLOAD_KINDS),
      metadata: fc.constant({ name: 'p' }),
      spec: fc.record({
        hostNetwork: fc.oneof(fc.boolean(), fc.string()),
        securityContext: fc.record({
          sysctls: fc.array(
            fc.record({
              name: fc.oneof(fc.constant('net.ipv4.ip_local_port_range'), fc.string()),
              value: fc.oneof(fc.string(), fc.integer()),
            }),
          ),
        }),
        template: fc.anything(),
        containers: fc.array(
          fc.record({
            name: fc.string(),
            command: fc.array(fc.oneof(fc.constantFrom('sh', '-c', 'sysctl', '-w'), fc.string())),
            args: fc.array(fc.array(fc.constantFrom(...SHELL_WORDS)).map((w) => w.join(' '))),
            securityContext: fc.record({ privileged: fc.anything() }),
            env: fc.anything(),
          }),
          { maxLength: 3 },
        ),
      }),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(workload, podLike), async (obj) => lintsCleanly(stringify(obj))),
      { numRuns: 300 },
    );
  });

  it('the incident manifests with random edits', async () => {
    const real = readFileSync(manifestFixture('incidents.yaml'), 'utf8');
    const edits = fc.array(
      fc.tuple(fc.nat({ max: real.length - 1 }), fc.string({ maxLength: 4 }), fc.nat({ max: 3 })),
      { maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(edits, async (es) =>
        lintsCleanly(es.reduce((s, [at, ins, del]) => s.slice(0, at) + ins + s.slice(at + del), real)),
      ),
      { numRuns: 200 },
    );
  });

  it('anchors and aliases, including a self-reference, end', async () => {
    await lintsCleanly('kind: Pod\nspec: &s\n  containers: *s\n  initContainers: [*s, *s]\n');
    await lintsCleanly(
      `a: &a [x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nkind: Pod\nspec: {containers: [{name: c, command: *c}]}\n`,
    );
  });

  it('shell scripts made of shell words', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SHELL_WORDS), { maxLength: 40 }), (words) => {
        for (const w of sysctlWritesOfScript(words.join(' '))) assert.ok(w.line >= 0 && w.column >= 0);
      }),
      { numRuns: 2000 },
    );
  });
});
