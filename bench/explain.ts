/**
 * explain on a long log: 1,000,000 lines of a service's log (kubelet-style prefixes, requests, retries) in
 * which one line in 500 is a real failure message from test/fixtures/explain, read from stdin by
 * `netdoctor explain -`, against `grep -c -E -i` for the words engineers grep for in the same file (which
 * only finds lines; it neither names the failure nor its causes). Runs alternate; CPU-time medians, peak RSS.
 * Every run must explain the log exactly as it explains the inserted failure lines given alone. A second row:
 * the same service's log with no known failure and two lines that read like errors, which must be offered
 * as the closest lines (a log nothing in which is recognised was read line by line before 2026-12-02).
 *   npm run bench:explain            (LINES=… RUNS=… to vary)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, netdoctor, printHeader, printRow, settle, sideBySide, type Measured } from './lib.js';

const LINES = Number(process.env.LINES ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 3);
const FIXTURES = join(import.meta.dirname, '../test/fixtures/explain');

/** A line of the service's own: a served request. */
const noise = (i: number) =>
  `I1121 02:${String(i % 60).padStart(2, '0')}:00.${String(i % 1e6).padStart(6, '0')}       1 handler.go:${i % 900}] "Handled request" method="GET" path="/api/v1/items/${i}" status=200 latency="${i % 97}ms" user-agent="kube-probe/1.29"`;

/** Lines that read like errors but are no known failure: offered as the closest lines when nothing is recognised. */
const ERROR_LIKE = [400_000, 900_000];

/** The log, and the failure lines alone. */
function log(): { all: string; failures: string } {
  const failures = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'probes')
    .flatMap((d) =>
      readdirSync(join(FIXTURES, d.name)).map((f) =>
        readFileSync(join(FIXTURES, d.name, f), 'utf8')
          .split('\n')
          .find((l) => /refused|timed out|timeout|unreachable|reset|assign|EOF|closed|resolve|502|version/i.test(l)),
      ),
    )
    .filter((l): l is string => l !== undefined);
  const out: string[] = [];
  const inserted: string[] = [];
  for (let i = 0; i < LINES; i++) {
    out.push(i % 500 === 0 ? failures[(i / 500) % failures.length]! : noise(i));
  }
  for (let i = 0; i < LINES; i += 500) inserted.push(failures[(i / 500) % failures.length]!);
  return { all: out.join('\n') + '\n', failures: inserted.join('\n') + '\n' };
}

interface Explained {
  input: { lines: number; recognised: number };
  explanations: { line: number }[];
}

/** What was explained, with each line number turned into the failure's place among the inserted lines. */
const essence = (r: Measured, lineToFailure: (line: number) => number) => {
  const report = JSON.parse(r.stdout) as Explained;
  const explanations = report.explanations.map((e) => ({ ...e, line: lineToFailure(e.line) }));
  return { recognised: report.input.recognised, explanations: JSON.stringify(explanations) };
};

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-explain-'));
try {
  const file = join(dir, 'service.log');
  const only = join(dir, 'failures.log');
  const { all, failures } = log();
  writeFileSync(file, all);
  writeFileSync(only, failures);
  settle();
  const expected = essence(netdoctor(['explain', '-'], { stdinFile: only }), (line) => line);
  const inserted = failures.split('\n').length - 1;
  const check = (r: Measured) => {
    const got = essence(r, (line) => (line - 1) / 500 + 1);
    if (got.recognised !== expected.recognised || got.explanations !== expected.explanations)
      throw new Error(
        `the log's explanations differ from the failure lines' own:\n${got.explanations}\n${expected.explanations}`,
      );
  };
  const grep = [
    '-c',
    '-E',
    '-i',
    'refused|timed out|timeout|unreachable|reset by peer|cannot assign|not available|EOF|prematurely closed|could not resolve|hang up|wrong version',
  ];
  const sides = sideBySide(
    RUNS,
    () => netdoctor(['explain', '-'], { stdinFile: file }),
    () => measure('grep', grep, { stdinFile: file }),
    check,
    [file],
  );
  printHeader();
  printRow(
    `${LINES.toLocaleString('en-US')}-line log (${(all.length / 2 ** 20).toFixed(0)} MiB, ${inserted} failures), explain -`,
    'grep -c -E -i',
    sides,
    '≤ 3× grep',
  );

  // The same service's log with no known failure in it, two lines that read like errors: nothing is
  // recognised, so those two must be offered as the closest lines (the path that read every line until 12-02).
  const quietFile = join(dir, 'quiet.log');
  const quiet: string[] = [];
  for (let i = 0; i < LINES; i++)
    quiet.push(
      ERROR_LIKE.includes(i) ? `W1121 02:00:00.000000 1 sync.go:7] worker ${i}: error while syncing` : noise(i),
    );
  writeFileSync(quietFile, quiet.join('\n') + '\n');
  settle();
  const wantClosest = JSON.stringify(ERROR_LIKE.filter((i) => i < LINES).map((i) => i + 1));
  const checkQuiet = (r: Measured) => {
    const report = JSON.parse(r.stdout) as Explained & { unrecognised: { closest: { line: number }[] } };
    const closest = JSON.stringify(report.unrecognised.closest.map((c) => c.line));
    if (report.input.recognised !== 0 || report.input.lines !== LINES || closest !== wantClosest)
      throw new Error(`quiet log: ${JSON.stringify(report.input)}, closest lines ${closest}, want ${wantClosest}`);
  };
  printRow(
    `${LINES.toLocaleString('en-US')}-line log, no known failure, explain -`,
    'grep -c -E -i',
    sideBySide(
      RUNS,
      () => netdoctor(['explain', '-'], { stdinFile: quietFile }),
      () => measure('grep', grep, { stdinFile: quietFile, okStatus: [1] }),
      checkQuiet,
      [quietFile],
    ),
    '≤ 3× grep',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
