import { safeForTerminal } from './terminal.js';
/** GitHub Actions workflow commands: one annotation per finding, on the file and line it names. */
import type { Severity } from '../model/finding.js';
import type { Report } from './report.js';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** Escaping from the runner's workflow-command rules: data escapes % CR LF; properties also : and ,. */
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** Strings from outside are made safe for the terminal first (report/terminal.ts). */
export function renderGithub(report: Report): string {
  return renderGithubUnsafe(safeForTerminal(report));
}

function renderGithubUnsafe(report: Report): string {
  const lines = report.findings.map((f) => {
    const props = [
      f.subject.file !== undefined ? `file=${escapeProperty(String(f.subject.file))}` : undefined,
      f.subject.line !== undefined ? `line=${f.subject.line}` : undefined,
      f.subject.column !== undefined ? `col=${f.subject.column}` : undefined,
      `title=${escapeProperty(`netdoctor ${f.rule}`)}`,
    ].filter(Boolean);
    return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(`${f.message}\nFix: ${f.remediation}`)}`;
  });
  for (const p of report.problems) {
    const where =
      p.line !== undefined
        ? `file=${escapeProperty(p.artefact)},line=${p.line}${p.column !== undefined ? `,col=${p.column}` : ''},`
        : '';
    lines.push(
      `::error ${where}title=${escapeProperty('netdoctor: input not read')}::${escapeData(`${p.artefact}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.reason}`)}`,
    );
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
