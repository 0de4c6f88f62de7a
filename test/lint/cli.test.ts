/** `netdoctor lint` through the real CLI: formats, inputs, exit codes, suppression. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { manifestFixture, ROOT, runCli } from '../helpers.js';
import { at } from '../../src/model/indexing.js';

/** The official SARIF 2.1.0 schema lives beside the checkout (../shared/schemas), never in the repo. */
const SCHEMA_CANDIDATES = [
  resolve(ROOT, '../shared/schemas/sarif-schema-2.1.0.json'),
  '/work/shared/schemas/sarif-schema-2.1.0.json',
  process.env.SARIF_SCHEMA ?? '',
];
const SCHEMA = SCHEMA_CANDIDATES.find((p) => p && existsSync(p));

interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; helpUri: string; defaultConfiguration: { level: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: {
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } };
      }[];
      partialFingerprints: Record<string, string>;
      suppressions?: { kind: string; justification: string }[];
    }[];
  }[];
}

describe('netdoctor lint (CLI)', () => {
  it('exits 1 on findings and 0 on clean manifests', async () => {
    assert.equal((await runCli(['lint', manifestFixture('incidents.yaml')])).code, 1);
    const clean = await runCli(['lint', manifestFixture('clean.yaml')]);
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /No problems found\./);
    assert.equal((await runCli(['lint', manifestFixture('more-rules.yaml'), '--fail-on', 'never'])).code, 0);
  });

  it(
    'SARIF output is valid against the official SARIF 2.1.0 schema',
    {
      skip: SCHEMA
        ? false
        : `the SARIF schema is not beside the checkout (looked in ${SCHEMA_CANDIDATES.filter(Boolean).join(', ')})`,
    },
    async () => {
      const r = await runCli([
        'lint',
        manifestFixture('incidents.yaml'),
        manifestFixture('more-rules.yaml'),
        '--format',
        'sarif',
      ]);
      assert.equal(r.code, 1, r.stderr);
      const log = JSON.parse(r.stdout) as SarifLog;
      // CommonJS packages that also export themselves as .default: the form both tsc (NodeNext) and Node accept
      const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
      ajvFormats.default(ajv);
      const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA!, 'utf8')));
      assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
      const run = at(log.runs, 0);
      assert.deepEqual(
        run.tool.driver.rules.map((x) => x.id),
        [
          'node-sysctl-from-pod',
          'sysctl-init-container-unguarded',
          'unsafe-sysctl',
          'prefer-safe-sysctl',
          'port-range-overlaps-nodeports',
        ],
      );
      for (const rule of run.tool.driver.rules)
        assert.match(rule.helpUri, new RegExp(`^https://.+/docs/rules/${rule.id}\\.md$`));
      assert.equal(at(run.tool.driver.rules, 1).defaultConfiguration.level, 'warning');
      const node = run.results.find((x) => x.ruleId === 'node-sysctl-from-pod')!;
      assert.equal(at(run.tool.driver.rules, node.ruleIndex).id, 'node-sysctl-from-pod');
      assert.equal(node.level, 'error');
      assert.deepEqual(node.locations[0]?.physicalLocation.region, { startLine: 87, startColumn: 21 });
      assert.match(
        node.locations[0]?.physicalLocation.artifactLocation.uri,
        /test\/fixtures\/manifests\/incidents\.yaml$/,
      );
      const suppressed = run.results.filter((x) => x.suppressions);
      assert.equal(suppressed.length, 1);
      assert.deepEqual(suppressed[0]?.suppressions, [
        { kind: 'inSource', justification: 'runs only in the sandbox cluster; tracked in OPS-142' },
      ]);
    },
  );

  it('fingerprints stay when lines move, and differ between findings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nd-lint-'));
    try {
      const text = readFileSync(manifestFixture('incidents.yaml'), 'utf8');
      await writeFile(join(dir, 'a.yaml'), text);
      const first = JSON.parse(
        (await runCli(['lint', 'a.yaml', '--format', 'sarif'], { cwd: dir })).stdout,
      ) as SarifLog;
      await writeFile(join(dir, 'a.yaml'), '# moved down\n\n\n' + text);
      const moved = JSON.parse(
        (await runCli(['lint', 'a.yaml', '--format', 'sarif'], { cwd: dir })).stdout,
      ) as SarifLog;
      const prints = (log: SarifLog) => log.runs[0]?.results.map((x) => x.partialFingerprints['netdoctorFinding/v1']);
      assert.deepEqual(prints(moved), prints(first));
      assert.equal(new Set(prints(first)).size, first.runs[0]?.results.length);
      assert.equal(
        moved.runs[0]?.results[0]?.locations[0]?.physicalLocation.region.startLine,
        at(at(at(first.runs, 0).results, 0).locations, 0).physicalLocation.region.startLine + 3,
      );
      assert.equal(first.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri, 'a.yaml');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--format github prints one workflow annotation per finding', async () => {
    const r = await runCli(['lint', manifestFixture('incidents.yaml'), '--format', 'github']);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 7);
    const node = lines.find((l) => l.includes('netdoctor node-sysctl-from-pod') && l.includes('line=87'))!;
    assert.match(
      node,
      /^::error file=[^,]*incidents\.yaml,line=87,col=21,title=netdoctor node-sysctl-from-pod::DaemonSet kube-system\/node-tuner: .*%0AFix: /,
    );
    assert.ok(lines.some((l) => l.startsWith('::warning file=') && l.includes('sysctl-init-container-unguarded')));
  });

  it("reads Helm output on stdin and names each finding's template", async () => {
    const helm = `---\n# Source: tuner/templates/daemonset.yaml\n${readFileSync(
      manifestFixture('incidents.yaml'),
      'utf8',
    )
      .split('---')
      .find((d) => d.includes('name: node-tuner'))!
      .trim()}\n---\n# Source: tuner/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: tuner}\n`;
    const r = await runCli(['lint', '-', '--format', 'json'], { stdin: helm });
    const report = JSON.parse(r.stdout) as {
      findings: { rule: string; subject: Record<string, unknown> }[];
      target: { kind: string };
    };
    assert.equal(report.target.kind, 'manifests');
    assert.deepEqual(report.findings.map((f) => f.rule).sort(), [
      'node-sysctl-from-pod',
      'port-range-overlaps-nodeports',
    ]);
    assert.equal(report.findings[0]?.subject.template, 'tuner/templates/daemonset.yaml');
    assert.equal(report.findings[0]?.subject.file, 'stdin');
  });

  it('searches directories for YAML and JSON files', async () => {
    const r = await runCli(['lint', join(ROOT, 'test/fixtures/manifests'), '--format', 'json']);
    const report = JSON.parse(r.stdout) as { context: { files: number; workloads: number }; findings: unknown[] };
    assert.equal(report.context.files, 5);
    assert.equal(report.context.workloads, 8 * 3 + 3 + 8);
  });

  it('a malformed document is reported with its position; the others are still linted; exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nd-lint-'));
    try {
      const good = readFileSync(manifestFixture('incidents.yaml'), 'utf8');
      await writeFile(
        join(dir, 'bad.yaml'),
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n   labels: {a: b}\n---\n${good}`,
      );
      const r = await runCli(['lint', join(dir, 'bad.yaml')]);
      assert.equal(r.code, 2);
      assert.match(r.stdout, /not read \S*bad\.yaml:4:9: Nested mappings are not allowed in compact mappings/);
      const json = JSON.parse((await runCli(['lint', join(dir, 'bad.yaml'), '--format', 'json'])).stdout) as {
        problems: { line: number; column: number }[];
        findings: unknown[];
      };
      // the yaml parser places this error at the start of the key it cannot close: "broken" on line 4
      assert.deepEqual([json.problems[0]?.line, json.problems[0]?.column], [4, 9]);
      assert.equal(json.findings.length, 7);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with what to do', async () => {
    const missing = await runCli(['lint', '/nonexistent/deploy.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or directory; give manifest files, directories, or - for stdin/);
    const version = await runCli(['lint', manifestFixture('clean.yaml'), '--k8s-version', 'latest']);
    assert.equal(version.code, 2);
    assert.match(version.stderr, /not a version like 1\.29/);
    const rule = await runCli(['lint', manifestFixture('clean.yaml'), '--rules', 'ephemeral-port-exhaustion']);
    assert.equal(rule.code, 2);
    assert.match(rule.stderr, /unknown rule: ephemeral-port-exhaustion \(known: node-sysctl-from-pod/);
  });

  it('--verbose lists suppressed findings with their reason', async () => {
    const quiet = await runCli(['lint', manifestFixture('more-rules.yaml')]);
    assert.match(quiet.stdout, /1 finding suppressed by netdoctor\.io\/ignore annotations \(--verbose lists them\)/);
    const verbose = await runCli(['lint', manifestFixture('more-rules.yaml'), '--verbose']);
    assert.match(
      verbose.stdout,
      /suppressed sysctl-init-container-unguarded \S+more-rules\.yaml:138:42 kind=Deployment name=accepted-risk .* by \S+more-rules\.yaml:126: runs only in the sandbox cluster; tracked in OPS-142/,
    );
  });
});
