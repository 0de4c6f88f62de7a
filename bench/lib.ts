import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The median of the runs; NaN (printed, never a silent 0) when there were none. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** One measured run of a program: CPU time (user + system, its children included), wall time, peak RSS. */
export interface Measured {
  cpuMs: number;
  wallMs: number;
  rssKiB: number;
  stdout: string;
}

const TIME = '/usr/bin/time';

/**
 * Runs a program under GNU time (Debian package `time`), which reads the rusage of the process and every
 * child it waited for: CPU time is the bar on this noisy machine (wall time is printed beside it). `stdinFile`
 * is opened as the program's stdin; a shell pipeline is measured whole when run as `sh -c`. A status other
 * than 0 fails the benchmark unless `okStatus` lists it (grep -c exits 1 when it counted no line).
 */
export function measure(
  cmd: string,
  args: string[],
  opts: { stdinFile?: string; env?: NodeJS.ProcessEnv; okStatus?: number[] } = {},
): Measured {
  const dir = mkdtempSync(join(tmpdir(), 'nd-bench-time-'));
  const fd = opts.stdinFile === undefined ? 'ignore' : openSync(opts.stdinFile, 'r');
  try {
    const out = join(dir, 'time');
    const r = spawnSync(TIME, ['-f', '%U %S %e %M', '-o', out, cmd, ...args], {
      stdio: [fd, 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: opts.env ?? process.env,
    });
    if (r.error) throw new Error(`${TIME}: ${r.error.message} (install the Debian package time)`);
    if (r.status !== 0 && !opts.okStatus?.includes(r.status ?? -1))
      throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-2000)}`);
    const [user, sys, wall, rss] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    return { cpuMs: (user! + sys!) * 1000, wallMs: wall! * 1000, rssKiB: rss!, stdout: r.stdout };
  } finally {
    if (typeof fd === 'number') closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole netdoctor CLI, bundled as shipped, JSON output. */
export function netdoctor(args: string[], opts: { stdinFile?: string } = {}): Measured {
  return measure(process.execPath, [join(import.meta.dirname, 'run-cli.mjs'), ...args, '--format', 'json'], opts);
}

export interface Side {
  cpuMs: number;
  wallMs: number;
  rssKiB: number;
}

const summarise = (runs: Measured[]): Side => ({
  cpuMs: median(runs.map((r) => r.cpuMs)),
  wallMs: median(runs.map((r) => r.wallMs)),
  rssKiB: Math.max(...runs.map((r) => r.rssKiB)),
});

/**
 * The floor under ours (bench/floor.mjs): Node starting, the CLI's bundle loading, and `inputs` read once
 * by the CLI's own reader with the lines counted, nothing parsed. The anchor's time over this is the best ratio the CLI
 * could reach on this machine: a goal above it is out of reach of any parser in this runtime.
 */
const floor = (inputs: string[]): Measured =>
  measure(process.execPath, [join(import.meta.dirname, 'floor.mjs'), ...inputs]);

/**
 * Runs ours and the anchor alternately (so a slow minute of the machine hits both), `runs` times each, and
 * returns the medians; with `floorInputs`, the floor on those files too, in the same rotation. `check` sees
 * every run of ours: the findings must be right every time, not once.
 */
export function sideBySide(
  runs: number,
  ours: () => Measured,
  anchor: () => Measured,
  check: (r: Measured) => void,
  floorInputs?: string[],
): Sides {
  const o: Measured[] = [];
  const a: Measured[] = [];
  const f: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    const r = ours();
    check(r);
    o.push(r);
    a.push(anchor());
    if (floorInputs) f.push(floor(floorInputs));
  }
  return { ours: summarise(o), anchor: summarise(a), ...(floorInputs ? { floor: summarise(f) } : {}) };
}

export interface Sides {
  ours: Side;
  anchor: Side;
  floor?: Side;
}

const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
const mib = (kib: number) => `${Math.round(kib / 1024).toLocaleString('en-US')} MiB`;

/**
 * The table issue 18 asks for, one row per size: CPU-time medians, peak RSS, the ratio and the goal, and the
 * floor (bench/floor.mjs) with the best ratio it leaves.
 */
export function printHeader(): void {
  console.log(
    '| work | anchor (CPU, peak RSS) | netdoctor (CPU, peak RSS) | ratio | goal | floor: Node + CLI load + one read (best ratio) |',
  );
  console.log('|---|---|---|---|---|---|');
}

const ratioSaid = (ratio: number) => (ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`);

export function printRow(work: string, anchorName: string, sides: Sides, goal: string): void {
  const { ours, anchor, floor: under } = sides;
  const floorSaid = under ? `${ms(under.cpuMs)} (${ratioSaid(anchor.cpuMs / under.cpuMs)})` : 'not measured';
  console.log(
    `| ${work} | ${anchorName} ${ms(anchor.cpuMs)}, ${mib(anchor.rssKiB)} | ${ms(ours.cpuMs)}, ${mib(ours.rssKiB)} (wall ${ms(ours.wallMs)} vs ${ms(anchor.wallMs)}) | ${ratioSaid(anchor.cpuMs / ours.cpuMs)} | ${goal} | ${floorSaid} |`,
  );
}

/**
 * Writes the files just generated back to disk before anything is measured, so the kernel's writeback of a
 * few hundred dirty MiB does not run during the first runs (in one run without it, the explain floor
 * measured 320 ms right after its log was written, 220 ms in the runs with it).
 */
export function settle(): void {
  spawnSync('sync');
}

/** Sizes from an environment variable ("1000000,5000000"), or the defaults. */
export function sizes(name: string, defaults: number[]): number[] {
  const v = process.env[name];
  return v ? v.split(',').map(Number) : defaults;
}
