import pc from 'picocolors';
import type { Finding, Severity } from '../rules/define-rule.js';
import type { Report } from './report.js';

export interface TextOptions {
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
  const location = file !== undefined && line !== undefined ? [`${file}:${line}${column !== undefined ? `:${column}` : ''}`] : [];
  const rest = Object.entries(f.subject)
    .filter(([k, v]) => v !== undefined && !(location.length > 0 ? LOCATION_KEYS : NODE_KEY).has(k))
    .map(([k, v]) => `${k}=${v}`);
  return [...location, ...rest].join(' ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function contextLine(ctx: NonNullable<Report['context']>): string {
  const parts = [];
  if (ctx.netns !== undefined) parts.push(plural(ctx.netns, 'network namespace'));
  if (ctx.files !== undefined) parts.push(plural(ctx.files, 'file'), plural(ctx.workloads ?? 0, 'workload'));
  if (ctx.captures) {
    const sum = (k: 'packets' | 'tuples' | 'attempts') => ctx.captures!.reduce((n, c) => n + c[k], 0);
    parts.push(plural(sum('packets'), 'packet'), plural(sum('tuples'), 'TCP 4-tuple'), plural(sum('attempts'), 'handshake'));
  }
  parts.push(`${ctx.rules} rules`);
  if (ctx.k8sVersion) parts.push(`Kubernetes ${ctx.k8sVersion}`);
  if (ctx.intervalMs) parts.push(`counters over ${(ctx.intervalMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/** Findings grouped by severity, evidence under each, then the fix; one summary line last. */
export function renderText(report: Report, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const paint: Record<Severity, (s: string) => string> = { error: (s) => c.bold(c.red(s)), warning: (s) => c.bold(c.yellow(s)), info: (s) => c.bold(c.cyan(s)) };
  const lines: string[] = [];
  if (!opts.quiet) {
    const ctx = report.context;
    lines.push(c.bold(`${report.tool} ${report.version} — ${report.target.kind} ${report.target.name}`) + (ctx ? c.dim(` (${contextLine(ctx)})`) : ''));
    lines.push('');
  }
  for (const severity of ['error', 'warning', 'info'] as Severity[]) {
    for (const f of report.findings.filter((x) => x.severity === severity)) {
      lines.push(`${paint[severity](LABEL[severity])} ${c.bold(f.rule)}  ${c.dim(subjectLine(f))}`);
      lines.push(`  ${f.message}`);
      const where = (e: Finding['evidence'][number]) => (e.line !== undefined ? `${e.source}:${e.line}` : e.source);
      const width = Math.max(...f.evidence.map((e) => where(e).length), 0);
      for (const e of f.evidence) lines.push(`    ${c.dim(where(e).padEnd(width))}  ${e.detail}`);
      lines.push(`  ${c.green('fix:')} ${f.remediation}`);
      lines.push(`  ${c.dim('docs: ' + f.docs)}`);
      lines.push('');
    }
  }
  if (!opts.quiet) {
    for (const s of report.skipped) {
      lines.push(c.dim(`skipped ${s.rule}: ${s.reason}${s.netns ? ` [${s.netns.length > 3 ? `${s.netns.slice(0, 3).join(', ')} and ${s.netns.length - 3} more` : s.netns.join(', ')}]` : ''}`));
    }
    for (const p of report.problems) lines.push(c.dim(`${report.target.kind === 'manifests' ? 'not read' : 'not collected'} ${p.artefact}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.reason}`));
    const suppressed = report.suppressed ?? [];
    if (opts.verbose) {
      for (const f of suppressed) lines.push(c.dim(`suppressed ${f.rule} ${subjectLine(f)} by ${f.suppression.annotation}: ${f.suppression.reason ?? 'no reason given (add a netdoctor.io/ignore-reason annotation)'}`));
    } else if (suppressed.length > 0) lines.push(c.dim(`${suppressed.length} finding${suppressed.length === 1 ? '' : 's'} suppressed by netdoctor.io/ignore annotations (--verbose lists them)`));
    if (report.skipped.length || report.problems.length || suppressed.length) lines.push('');
    const { error, warning, info } = report.summary;
    const total = error + warning + info;
    lines.push(
      total === 0
        ? report.target.kind === 'manifests' && report.problems.length > 0
          ? paint.error(`No findings in what could be read, but ${plural(report.problems.length, 'document error')} kept part of the input unread.`)
          : c.green('No problems found.')
        : `${paint.error(`${error} error${error === 1 ? '' : 's'}`)}, ${paint.warning(`${warning} warning${warning === 1 ? '' : 's'}`)}, ${paint.info(`${info} info`)}`,
    );
  }
  return lines.join('\n') + '\n';
}
