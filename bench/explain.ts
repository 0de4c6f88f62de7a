/**
 * explain on a long log: 1,000,000 lines of a service's log (kubelet-style prefixes, requests, retries) in
 * which one line in 500 is a real failure message from test/fixtures/explain, read from stdin by
 * `netdoctor explain -`, against `grep -c -E -i` for the words engineers grep for in the same file (which
 * only finds lines; it neither names the failure nor its causes). Prints times, the ratio and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, time } from './lib.js';

const LINES = 1_000_000;
const FIXTURES = join(import.meta.dirname, '../test/fixtures/explain');

function log(): string {
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
  for (let i = 0; i < LINES; i++) {
    out.push(
      i % 500 === 0
        ? failures[(i / 500) % failures.length]!
        : `I1121 02:${String(i % 60).padStart(2, '0')}:00.${String(i % 1e6).padStart(6, '0')}       1 handler.go:${i % 900}] "Handled request" method="GET" path="/api/v1/items/${i}" status=200 latency="${i % 97}ms" user-agent="kube-probe/1.29"`,
    );
  }
  return out.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-explain-'));
try {
  const file = join(dir, 'service.log');
  writeFileSync(file, log());
  const withStdin = (cmd: string, args: string[]) => {
    const fd = openSync(file, 'r');
    try {
      return spawnSync(cmd, args, { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
    } finally {
      closeSync(fd);
    }
  };
  let rss = 0;
  let recognised = 0;
  const ours = median(
    [0, 1, 2].map(() =>
      time(() => {
        const r = withStdin(process.execPath, [
          join(import.meta.dirname, 'run-cli.mjs'),
          'explain',
          '-',
          '--format',
          'json',
        ]);
        if (r.status !== 0) throw new Error(r.stderr);
        rss = Number(/MAXRSS_KIB=(\d+)/.exec(r.stderr)?.[1] ?? 0);
        recognised = (JSON.parse(r.stdout) as { input: { recognised: number } }).input.recognised;
      }),
    ),
  )!;
  let grepCount = 0;
  const grep = median(
    [0, 1, 2].map(() =>
      time(() => {
        const r = withStdin('grep', [
          '-c',
          '-E',
          '-i',
          'refused|timed out|timeout|unreachable|reset by peer|cannot assign|not available|EOF|prematurely closed|could not resolve|hang up|wrong version',
        ]);
        grepCount = Number(r.stdout.trim());
      }),
    ),
  )!;
  console.log(
    `explain: ${LINES.toLocaleString('en')} log lines, ${recognised} recognised as failures (grep finds ${grepCount} lines with the words)`,
  );
  console.log(
    `  netdoctor explain -   ${ours.toFixed(0)} ms  (${Math.round(LINES / (ours / 1000)).toLocaleString('en')} lines/s, peak RSS ${(rss / 1024).toFixed(0)} MiB)`,
  );
  console.log(`  grep -c -E -i         ${grep.toFixed(0)} ms`);
  console.log(
    `  ratio: netdoctor takes ${(ours / grep).toFixed(2)}× grep's time, and names each failure with its causes`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
