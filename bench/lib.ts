import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function time(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The median of the runs; NaN (printed, never a silent 0) when there were none. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The whole netdoctor CLI (JSON output); returns its peak RSS in KiB (run-cli.mjs reports it). */
export function runNetdoctor(args: string[]): number {
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'run-cli.mjs'), ...args, '--format', 'json', '--fail-on', 'never'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(/MAXRSS_KIB=(\d+)/.exec(r.stderr)?.[1] ?? 0);
}

/** `netdoctor analyze` on a bundle with some rules. */
export function runAnalyze(bundle: string, rules: string[]): number {
  return runNetdoctor(['analyze', bundle, '--rules', rules.join(',')]);
}
