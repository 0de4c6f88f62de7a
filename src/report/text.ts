import pc from 'picocolors';
import type { Finding, Severity } from '../rules/define-rule.js';
import type { Report } from './report.js';

export interface TextOptions {
  color: boolean;
  quiet?: boolean;
}

const LABEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

function subjectLine(f: Finding): string {
  return Object.entries(f.subject)
    .filter(([k, v]) => v !== undefined && k !== 'node')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Findings grouped by severity, evidence under each, then the fix; one summary line last. */
export function renderText(report: Report, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const paint: Record<Severity, (s: string) => string> = { error: (s) => c.bold(c.red(s)), warning: (s) => c.bold(c.yellow(s)), info: (s) => c.bold(c.cyan(s)) };
  const lines: string[] = [];
  if (!opts.quiet) {
    const ctx = report.context;
    lines.push(c.bold(`${report.tool} ${report.version} — ${report.target.kind} ${report.target.name}`) + (ctx ? c.dim(` (${ctx.netns} network namespace${ctx.netns === 1 ? '' : 's'}, ${ctx.rules} rules${ctx.intervalMs ? `, counters over ${(ctx.intervalMs / 1000).toFixed(1)} s` : ''})`) : ''));
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
    for (const p of report.problems) lines.push(c.dim(`not collected ${p.artefact}: ${p.reason}`));
    if (report.skipped.length || report.problems.length) lines.push('');
    const { error, warning, info } = report.summary;
    const total = error + warning + info;
    lines.push(
      total === 0
        ? c.green('No problems found.')
        : `${paint.error(`${error} error${error === 1 ? '' : 's'}`)}, ${paint.warning(`${warning} warning${warning === 1 ? '' : 's'}`)}, ${paint.info(`${info} info`)}`,
    );
  }
  return lines.join('\n') + '\n';
}
