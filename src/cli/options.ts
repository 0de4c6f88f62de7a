import { ToolError } from '../model/errors.js';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { NetnsSelection } from '../sources/host/collect-node.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import type { Report } from '../report/report.js';
import { renderText } from '../report/text.js';
import { SEVERITIES, type Severity } from '../model/finding.js';

export interface CommonOptions {
  format?: 'text' | 'json' | 'markdown' | 'sarif' | 'github';
  failOn: Severity | 'never';
  rules?: string[];
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export class UsageError extends ToolError {}

/**
 * The sampling interval: a duration with a unit, at most ten minutes. A bare number is seconds, and a large
 * bare number is refused with the likely meaning ("2000" was milliseconds: waiting 33 minutes helps nobody).
 */
function parseInterval(text: string): number {
  const bare = /^\d+(\.\d+)?$/.test(text.trim());
  if (bare && Number(text) >= 100)
    throw new InvalidArgumentError(`"${text}" would be ${text} seconds; give a unit: ${text}ms, or e.g. 2s`);
  const ms = parseDuration(text);
  if (ms > 600_000) throw new InvalidArgumentError(`"${text}" is longer than the 10 minutes an interval may be`);
  return ms;
}

/** "2s", "500ms", "1m", "0" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration; use e.g. 2s, 500ms, 1m or 0`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'];
  return Math.round(Number(m[1]) * unit!);
}

/** Which namespaces node and collect read (the same flag, the same words). */
export function netnsOption(): Option {
  return new Option(
    '--netns <which>',
    'self | all | PID[,PID…] | ip-netns name (default: all as root, self otherwise)',
  ).argParser(parseNetns);
}

/** The collection's one deadline (node and collect share it: the same flag, the same default). */
export function timeoutOption(): Option {
  return new Option(
    '--timeout <duration>',
    'one deadline for every command the collection runs; what is not read by then is reported',
  )
    .argParser(parseDuration)
    .default(300_000, '5m');
}

/** The time between the two counter samples (node and collect). */
export function intervalOption(): Option {
  return new Option('--interval <duration>', 'time between the two counter samples (2s, 500ms; 0 = one sample)')
    .argParser(parseInterval)
    .default(2000, '2s');
}

function parseNetns(text: string): NetnsSelection {
  if (text === 'self') return { kind: 'self' };
  if (text === 'all') return { kind: 'all' };
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0 || items.some((i) => !/^[\w.-]+$/.test(i))) {
    throw new InvalidArgumentError(`"${text}" is not self, all, or a comma-separated list of PIDs / ip-netns names`);
  }
  return { kind: 'list', items };
}

/** --as-node only means something with --netns self. */
export function withAsNode(sel: NetnsSelection, asNode: boolean | undefined): NetnsSelection {
  if (!asNode) return sel;
  if (sel.kind !== 'self')
    throw new UsageError('--as-node goes with --netns self (it judges the namespace the tool runs in as a node)');
  return { kind: 'self', asNode: true };
}

export function defaultNetns(): NetnsSelection {
  return process.getuid?.() === 0 ? { kind: 'all' } : { kind: 'self' };
}

/** sarif and github point into files: only `lint` offers them, so other commands do not list them either. */
export function addCommonOptions(cmd: Command, formats = ['text', 'json', 'markdown']): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format').choices(formats))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
        .choices(['error', 'warning', 'info', 'never'])
        .default('error'),
    )
    .option('--rules <ids>', 'run only these rules (comma-separated ids; see `netdoctor rules`)', (v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option('--no-color', 'no colours, even on a terminal')
    .option('--quiet', 'print findings only: no header, skipped rules or summary');
}

export function render(report: Report, opts: CommonOptions): string {
  switch (opts.format ?? 'text') {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'sarif':
    case 'github':
      throw new UsageError(
        `--format ${opts.format} is for \`netdoctor lint\`, whose findings point into files; use json for node findings`,
      );
    default:
      return renderText(report, { color: useColor(opts), quiet: opts.quiet, verbose: opts.verbose });
  }
}

/** Colour only on a terminal, and never with NO_COLOR or TERM=dumb. */
export function useColor(opts: { color: boolean }): boolean {
  // no-color.org: NO_COLOR disables colour only when it is set to something non-empty
  return opts.color && process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** 0 when nothing reaches --fail-on, 1 otherwise. */
function exitCodeFor(report: Report, failOn: CommonOptions['failOn']): number {
  if (failOn === 'never') return 0;
  const limit = SEVERITIES.indexOf(failOn);
  return report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit) ? 1 : 0;
}

export function emit(report: Report, opts: CommonOptions, output = render(report, opts)): number {
  process.stdout.write(output);
  return exitCodeFor(report, opts.failOn);
}
