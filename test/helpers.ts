import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { analyzeBundles, analyzeCaptures, lintPaths } from '../src/engine.js';
import { NEWEST_KNOWN_K8S } from '../src/knowledge/k8s-sysctls.js';
import { parsePortRange } from '../src/parsers/port-range.js';
import type { Report } from '../src/report/report.js';
import type { Finding } from '../src/model/finding.js';
import { isNonEmpty, type NonEmpty } from '../src/model/indexing.js';
import assert from 'node:assert/strict';
import { CAPTURE_RULES, MANIFEST_RULES, NODE_RULES } from '../src/rules/index.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/netdoctor');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const bundleFixture = (name: string) => join(FIXTURES, 'bundles', name);
/** The recorded cluster dumps (test/fixtures/cluster/): every cluster rule's cases, the live = dump proof. */
export const CLUSTER_DUMPS = [
  'cluster/overlap',
  'cluster/kube-proxy-legacy',
  'cluster/ipvs-old-kernel',
  'cluster/agent-conditions',
  'cluster/apiserver-range',
  'cluster/ipvs-stale',
];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (optionally inside a network namespace via `ip netns exec`). */
export function runCli(
  args: string[],
  opts: { netns?: string; env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): Promise<CliResult> {
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, BIN, ...args]] : [BIN, args];
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, argv, {
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      cwd: opts.cwd,
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

export async function runJson(
  args: string[],
  opts: { netns?: string } = {},
): Promise<{ code: number | null; report: Report; stderr: string }> {
  const r = await runCli([...args, '--format', 'json'], opts);
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr}`);
  }
}

/** The list, asserted to hold something: destructuring its first element then needs no check. */
export function nonEmpty<T>(list: T[], what = 'an element'): NonEmpty<T> {
  if (!isNonEmpty(list)) assert.fail(`expected ${what}, got an empty list`);
  return list;
}

export function byRule(report: Report, rule: string): Finding[] {
  return report.findings.filter((f) => f.rule === rule);
}

/** A copy of a fixture bundle with some files replaced: the hand-assembled bundles users send. */
export async function editedBundle(
  fixture: string,
  edits: Record<string, string | null>,
): Promise<{ dir: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nd-test-bundle-'));
  await cp(bundleFixture(fixture), dir, { recursive: true });
  for (const [path, content] of Object.entries(edits)) {
    if (content === null) await rm(join(dir, path), { force: true });
    else {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  }
  return { dir, done: () => rm(dir, { recursive: true, force: true }) };
}

export async function analyzeFixture(dir: string, nodePortsFlag?: string): Promise<Report> {
  return analyzeBundles([dir], { rules: NODE_RULES, nodePortsFlag });
}

/** Analyse a fixture bundle with some files replaced, and clean up. */
export async function analyzeEdited(
  fixture: string,
  edits: Record<string, string | null>,
  nodePortsFlag?: string,
): Promise<Report> {
  const b = await editedBundle(fixture, edits);
  try {
    return await analyzeFixture(b.dir, nodePortsFlag);
  } finally {
    await b.done();
  }
}

export const manifestFixture = (name: string) => join(FIXTURES, 'manifests', name);

/** Lints fixture manifests in-process with every manifest rule. */
export async function lintFixture(
  names: string[],
  opts: { k8sVersion?: [number, number]; nodePortRange?: string } = {},
): Promise<Report> {
  return lintPaths(names.map(manifestFixture), {
    rules: MANIFEST_RULES,
    options: {
      k8sVersion: opts.k8sVersion ?? NEWEST_KNOWN_K8S,
      nodePortRange: parsePortRange(opts.nodePortRange ?? '30000-32767'),
    },
  });
}

/** "rule name line:column" per finding, sorted: compact enough to assert a whole report at once. */
export function findingKeys(report: Report): string[] {
  return report.findings.map((f) => `${f.rule} ${f.subject.name} ${f.subject.line}:${f.subject.column}`).sort();
}

/** Lints YAML text given inline (for one-object cases), in-process. */
export async function lintText(text: string, opts: { k8sVersion?: [number, number] } = {}): Promise<Report> {
  return lintPaths(['-'], {
    rules: MANIFEST_RULES,
    options: { k8sVersion: opts.k8sVersion ?? NEWEST_KNOWN_K8S, nodePortRange: parsePortRange('30000-32767') },
    stdin: async () => text,
  });
}

export const pcapFixture = (name: string) => join(FIXTURES, 'pcap', name);

/** Runs the capture rules in-process on fixture captures. */
export async function analyzePcapFixture(name: string | string[], nodePortRange = '30000-32767'): Promise<Report> {
  return analyzeCaptures(
    (Array.isArray(name) ? name : [name]).map((n) => (n.startsWith('/') ? n : pcapFixture(n))),
    { rules: CAPTURE_RULES, nodePortRange: parsePortRange(nodePortRange) },
  );
}
