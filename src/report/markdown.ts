import type { Report } from './report.js';

const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMarkdown(report: Report): string {
  const out: string[] = [`# ${report.tool} ${report.version}: ${report.target.kind} ${report.target.name}`, ''];
  const { error, warning, info } = report.summary;
  out.push(`**${error} error(s), ${warning} warning(s), ${info} info**`, '');
  for (const f of report.findings) {
    out.push(`## ${f.severity.toUpperCase()}: \`${f.rule}\``, '', f.message, '');
    const subject = Object.entries(f.subject).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=\`${v}\``).join(', ');
    if (subject) out.push(`Subject: ${subject}`, '');
    out.push('| source | evidence |', '|---|---|', ...f.evidence.map((e) => `| ${esc(e.line !== undefined ? `${e.source}:${e.line}` : e.source)} | \`${esc(e.detail).replaceAll('`', "'")}\` |`), '');
    out.push(`**Fix:** ${f.remediation}`, '', `Docs: [${f.rule}](${f.docs})`, '');
  }
  if (report.skipped.length) {
    out.push('## Skipped', '', ...report.skipped.map((s) => `- \`${s.rule}\`: ${s.reason}${s.netns ? ` (${s.netns.join(', ')})` : ''}`), '');
  }
  if (report.problems.length) {
    out.push('## Not collected', '', ...report.problems.map((p) => `- \`${p.artefact}\`: ${p.reason}`), '');
  }
  return out.join('\n');
}
