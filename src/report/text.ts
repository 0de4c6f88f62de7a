import { plural } from '../model/plural.js';
import { safeForTerminal } from './terminal.js';
import pc from 'picocolors';
import { SEVERITIES, type Finding, type Severity } from '../model/finding.js';
import type { Report } from './report.js';

interface TextOptions {
  color: boolean;
  quiet?: boolean;
  /** also list the findings annotations suppressed, with their reasons */
  verbose?: boolean;
}

const LABEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

/** Manifest findings lead with file:line:column, the form editors and terminals make clickable. */
const LOCATION_KEYS = new Set(['node', 'file', 'line', 'column']);
const NODE_KEY = new Set(['node']);

function subjectLine(f: Finding): string {
  const { file, line, column } = f.subject;
  const location =
    file !== undefined && line !== undefined ? [`${file}:${line}${column !== undefined ? `:${column}` : ''}`] : [];
  const rest = Object.entries(f.subject)
    .filter(([k, v]) => v !== undefined && !(location.length > 0 ? LOCATION_KEYS : NODE_KEY).has(k))
    .map(([k, v]) => `${k}=${v}`);
  return [...location, ...rest].join(' ');
}

/** The same reason for 30 namespaces is one line with a count; rules sharing a reason share a line. */
function notCheckedLines(skipped: Report['skipped']): string[] {
  const byReason = new Map<string, { rules: Set<string>; netns: Set<string> }>();
  for (const s of skipped.filter((x) => !x.notApplicable)) {
    const entry = byReason.get(s.reason) ?? { rules: new Set(), netns: new Set() };
    entry.rules.add(s.rule);
    for (const n of s.netns ?? []) entry.netns.add(n);
    byReason.set(s.reason, entry);
  }
  return [...byReason].map(([reason, { rules, netns }]) => {
    const where =
      netns.size === 0 ? '' : netns.size <= 2 ? ` in ${[...netns].join(', ')}` : ` in ${netns.size} namespaces`;
    return `  ${[...rules].join(', ')}${where}: ${reason}`;
  });
}

function contextLine(ctx: NonNullable<Report['context']>): string {
  const parts = [];
  if (ctx.netns !== undefined) parts.push(plural(ctx.netns, 'network namespace'));
  if (ctx.files !== undefined) parts.push(plural(ctx.files, 'file'));
  if (ctx.workloads !== undefined) parts.push(plural(ctx.workloads, 'workload'));
  if (ctx.files !== undefined && ctx.nodes && ctx.netns === undefined) parts.push(plural(ctx.nodes.length, 'node'));
  if (ctx.captures) {
    const sum = (k: 'packets' | 'tuples' | 'attempts') => ctx.captures!.reduce((n, c) => n + c[k], 0);
    parts.push(
      plural(sum('packets'), 'packet'),
      plural(sum('tuples'), 'TCP 4-tuple'),
      plural(sum('attempts'), 'handshake'),
    );
  }
  parts.push(plural(ctx.rules, 'rule'));
  if (ctx.k8sVersion) parts.push(`Kubernetes ${ctx.k8sVersion}`);
  if (ctx.intervalMs) parts.push(`counters over ${(ctx.intervalMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/**
 * "No problems found." only when everything selected was checked; otherwise the count of what was not, so
 * a reader who stops at the last line is not told a failure was ruled out.
 */
function summaryLine(
  report: Report,
  c: ReturnType<typeof pc.createColors>,
  paint: Record<Severity, (s: string) => string>,
): string {
  const { error, warning, info } = report.summary;
  const total = error + warning + info;
  const unchecked = new Set(report.skipped.filter((x) => !x.notApplicable).map((x) => x.rule)).size;
  const gap = unchecked > 0 ? `${plural(unchecked, 'rule')} not checked (listed at the top)` : '';
  if (total > 0) {
    const counts = `${paint.error(plural(error, 'error'))}, ${paint.warning(plural(warning, 'warning'))}, ${paint.info(`${info} info`)}`;
    return gap ? `${counts}; ${c.yellow(gap)}` : counts;
  }
  if (report.target.kind === 'manifests' && report.problems.length > 0) {
    return paint.error(
      `No findings in what could be read, but ${plural(report.problems.length, 'document error')} kept part of the input unread.`,
    );
  }
  if (gap) return c.yellow(`No problems found in what was checked; ${gap}.`);
  if (report.target.kind === 'manifests' && report.context?.workloads === 0)
    return c.yellow('Nothing to lint: no workload (pod template) in the input.');
  return c.green('No problems found.');
}

/** Findings grouped by severity, evidence under each, then the fix; one summary line last. */
/** Strings from outside are made safe for the terminal first (report/terminal.ts). */
export function renderText(report: Report, opts: TextOptions): string {
  return renderTextUnsafe(safeForTerminal(report), opts);
}

type Colors = ReturnType<typeof pc.createColors>;
type Paint = Record<Severity, (s: string) => string>;

function renderTextUnsafe(report: Report, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const paint: Paint = {
    error: (s) => c.bold(c.red(s)),
    warning: (s) => c.bold(c.yellow(s)),
    info: (s) => c.bold(c.cyan(s)),
  };
  const lines: string[] = [];
  if (!opts.quiet) lines.push(...header(report, c));
  for (const severity of SEVERITIES)
    for (const f of report.findings.filter((x) => x.severity === severity)) lines.push(...findingLines(f, c, paint));
  if (!opts.quiet) lines.push(...footer(report, opts, c, paint));
  // --quiet with nothing to show prints nothing, not an empty line
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** The target line, notes and the "Not checked" block: what the reader must know before the findings. */
function header(report: Report, c: Colors): string[] {
  const lines: string[] = [];
  const ctx = report.context;
  lines.push(
    c.bold(`${report.tool} ${report.version} — ${report.target.kind} ${report.target.name}`) +
      (ctx ? c.dim(` (${contextLine(ctx)})`) : ''),
  );
  for (const note of report.notes ?? []) lines.push(c.yellow(`note: ${note}`));
  const notChecked = notCheckedLines(report.skipped);
  if (notChecked.length > 0) {
    const rules = new Set(report.skipped.filter((x) => !x.notApplicable).map((x) => x.rule)).size;
    lines.push(c.yellow(`Not checked (${plural(rules, 'rule')}; a rule not checked is not cleared):`));
    lines.push(...notChecked);
  }
  lines.push('');
  return lines;
}

/** One finding: label, rule and subject; the message; the evidence aligned by source; the fix; the docs. */
function findingLines(f: Finding, c: Colors, paint: Paint): string[] {
  const where = (e: Finding['evidence'][number]) => (e.line !== undefined ? `${e.source}:${e.line}` : e.source);
  const width = Math.max(...f.evidence.map((e) => where(e).length), 0);
  return [
    `${paint[f.severity](LABEL[f.severity])} ${c.bold(f.rule)}  ${c.dim(subjectLine(f))}`,
    `  ${f.message}`,
    ...f.evidence.map((e) => `    ${c.dim(where(e).padEnd(width))}  ${e.detail}`),
    `  ${c.green('fix:')} ${f.remediation}`,
    `  ${c.dim(`docs: netdoctor rules ${f.rule}  (${f.docs} in the package)`)}`,
    '',
  ];
}

function problemLine(report: Report, p: Report['problems'][number]): string {
  const verb = report.target.kind !== 'manifests' && /the rest was read$/.test(p.reason) ? 'partly read' : 'not read';
  return `${verb} ${p.artefact}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.reason}`;
}

/** What did not apply (verbose), what was not read, what was suppressed, then the summary line. */
function footer(report: Report, opts: TextOptions, c: Colors, paint: Paint): string[] {
  const lines: string[] = [];
  if (opts.verbose)
    for (const s of report.skipped.filter((x) => x.notApplicable))
      lines.push(c.dim(`does not apply ${s.rule}: ${s.reason}`));
  for (const p of report.problems) lines.push(c.dim(problemLine(report, p)));
  const suppressed = report.suppressed ?? [];
  if (opts.verbose) {
    for (const f of suppressed)
      lines.push(
        c.dim(
          `suppressed ${f.rule} ${subjectLine(f)} by ${f.suppression.annotation}: ${f.suppression.reason ?? 'no reason given (add a netdoctor.io/ignore-reason annotation)'}`,
        ),
      );
  } else if (suppressed.length > 0)
    lines.push(
      c.dim(
        `${plural(suppressed.length, 'finding')} suppressed by netdoctor.io/ignore annotations (--verbose lists them)`,
      ),
    );
  if (report.problems.length || suppressed.length || (opts.verbose && report.skipped.length)) lines.push('');
  lines.push(summaryLine(report, c, paint));
  return lines;
}
