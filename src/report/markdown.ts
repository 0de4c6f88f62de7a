import { safeForTerminal } from './terminal.js';
import type { Report } from './report.js';

const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Strings from outside are made safe for the terminal first (report/terminal.ts). */
export function renderMarkdown(report: Report): string {
  return renderMarkdownUnsafe(safeForTerminal(report));
}

function renderMarkdownUnsafe(report: Report): string {
  const out: string[] = [`# ${report.tool} ${report.version}: ${report.target.kind} ${report.target.name}`, ''];
  const { error, warning, info } = report.summary;
  out.push(`**${error} error(s), ${warning} warning(s), ${info} info**`, '');
  for (const note of report.notes ?? []) out.push(`> Note: ${esc(note)}`, '');
  const notChecked = report.skipped.filter((s) => !s.notApplicable);
  if (notChecked.length) {
    out.push(
      '## Not checked',
      '',
      'A rule not checked is not cleared.',
      '',
      ...notChecked.map((s) => `- \`${s.rule}\`: ${esc(s.reason)}${s.netns ? ` (${s.netns.join(', ')})` : ''}`),
      '',
    );
  }
  for (const f of report.findings) {
    out.push(`## ${f.severity.toUpperCase()}: \`${f.rule}\``, '', f.message, '');
    const subject = Object.entries(f.subject)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=\`${v}\``)
      .join(', ');
    if (subject) out.push(`Subject: ${subject}`, '');
    out.push(
      '| source | evidence |',
      '|---|---|',
      ...f.evidence.map(
        (e) =>
          `| ${esc(e.line !== undefined ? `${e.source}:${e.line}` : e.source)} | \`${esc(e.detail).replaceAll('`', "'")}\` |`,
      ),
      '',
    );
    out.push(`**Fix:** ${f.remediation}`, '', `Docs: [${f.rule}](${f.docs})`, '');
  }
  const notApplicable = report.skipped.filter((s) => s.notApplicable);
  if (notApplicable.length) {
    out.push(
      '## Does not apply here',
      '',
      ...notApplicable.map((s) => `- \`${s.rule}\`: ${esc(s.reason)}${s.netns ? ` (${s.netns.join(', ')})` : ''}`),
      '',
    );
  }
  if (report.problems.length) {
    out.push('## Not collected', '', ...report.problems.map((p) => `- \`${p.artefact}\`: ${p.reason}`), '');
  }
  return out.join('\n');
}
