import { safeForTerminal } from './terminal.js';
import { plural } from '../model/plural.js';
import pc from 'picocolors';
import { catalogueSummary, type ExplainedLine } from '../explain/explained.js';
import type { Report } from './report.js';
import type { NonEmpty } from '../model/indexing.js';

/** Lines that tell of the same failure towards the same place are explained once, with all their line numbers. */
function groups(explanations: ExplainedLine[]): NonEmpty<ExplainedLine>[] {
  const byKey = new Map<string, NonEmpty<ExplainedLine>>();
  for (const e of explanations) {
    const key = [
      e.failure.id,
      e.errno?.name ?? '',
      e.destination ? `${e.destination.host}:${e.destination.port ?? ''}` : '',
    ].join('|');
    const group = byKey.get(key);
    if (group) group.push(e);
    else byKey.set(key, [e]);
  }
  return [...byKey.values()];
}

const what = (e: ExplainedLine) =>
  `${e.errno ? `${e.errno.name} (${e.errno.number}) from ${e.syscall}` : e.syscall}: ${e.failure.title}${e.destination ? `, to ${e.destination.host}${e.destination.port !== undefined ? `:${e.destination.port}` : ''}` : ''}`;

const MAX_SHOWN_LINES = 5;
const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Strings from outside are made safe for the terminal first (report/terminal.ts). */
export function renderExplainText(report: Report, opts: { color: boolean; quiet?: boolean }): string {
  return renderExplainTextUnsafe(safeForTerminal(report), opts);
}

function renderExplainTextUnsafe(report: Report, opts: { color: boolean; quiet?: boolean }): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  const input = report.input ?? { lines: 0, recognised: 0, shown: 0 };
  if (!opts.quiet)
    out.push(
      c.bold(`${report.tool} ${report.version} — explain ${report.target.name}`) +
        c.dim(` (${input.lines} line${input.lines === 1 ? '' : 's'}, ${input.recognised} recognised)`),
      '',
    );
  for (const group of groups(report.explanations ?? [])) {
    const first = group[0];
    out.push(c.bold(c.yellow(what(first))));
    const width = Math.max(...group.slice(0, MAX_SHOWN_LINES).map((e) => e.tool.length));
    for (const e of group.slice(0, MAX_SHOWN_LINES))
      out.push(`  ${c.dim(`line ${e.line}`.padEnd(9))} ${c.cyan(e.tool.padEnd(width))}  ${clip(e.text)}`);
    if (group.length > MAX_SHOWN_LINES)
      out.push(
        c.dim(
          `  … and ${group.length - MAX_SHOWN_LINES} more line${group.length - MAX_SHOWN_LINES === 1 ? '' : 's'} like these`,
        ),
      );
    for (const note of new Set(group.flatMap((e) => e.notes))) out.push(`  ${c.dim('note:')} ${note}`);
    out.push(`  ${first.failure.meaning}`, '', `  ${c.bold('Likely causes on a Kubernetes node, most likely first:')}`);
    for (const cause of first.causes) {
      out.push(`  ${cause.rank}. ${cause.cause}`);
      if (cause.rules.length)
        out.push(`     ${c.dim('confirm or exclude:')} ${cause.rules.map((r) => `${r.id} (${r.target})`).join(', ')}`);
      else out.push(`     ${c.dim('no netdoctor rule covers this')}`);
      if (cause.check) out.push(`     ${c.dim('check:')} ${cause.check}`);
    }
    if (first.next.length) {
      out.push('', `  ${c.green('next:')} ${first.next[0]}`, ...first.next.slice(1).map((cmd) => `        ${cmd}`));
      out.push(
        c.dim(
          '  A finding of a rule confirms its cause; the rule running (not skipped) with nothing found rules it out.',
        ),
      );
    } else out.push('', `  ${c.green('next:')} the checks above; no netdoctor rule covers these causes.`);
    out.push('');
  }
  const unrecognised = report.unrecognised;
  if (input.recognised === 0) {
    out.push(
      c.bold(`Not recognised: no line is a connection-failure message this catalogue knows (${catalogueSummary()}).`),
    );
    for (const cand of unrecognised?.closest ?? []) {
      out.push(`  line ${cand.line}: ${clip(cand.text)}`);
      if (cand.matches.length === 0) out.push(c.dim('    nothing in the catalogue reads like it'));
      for (const m of cand.matches)
        out.push(
          `    ${c.dim(`closest (${Math.round(m.score * 100)}%):`)} ${m.tool} ${c.dim(`[${m.signature}]`)}  ${clip(m.example, 120)}`,
        );
    }
    if (!unrecognised?.closest.length)
      out.push(
        c.dim(
          '  No line reads like an error message; paste the line that names the failure (with "refused", "timed out", "reset", an errno…).',
        ),
      );
    out.push(c.dim('  `netdoctor rules` lists what the node, lint and pcap commands check.'));
  } else if (input.shown < input.recognised) {
    out.push(
      c.dim(
        `${input.recognised - input.shown} more recognised lines are counted but not shown: the first ${input.shown} are.`,
      ),
    );
  }
  if (input.recognised > 0 && !opts.quiet && unrecognised && unrecognised.lines > 0) {
    out.push(
      c.dim(
        `${unrecognised.lines} other line${unrecognised.lines === 1 ? '' : 's'} held no connection-failure message this catalogue knows.`,
      ),
    );
  }
  return out.join('\n') + '\n';
}

const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('`', "'");

/** Strings from outside are made safe for the terminal first (report/terminal.ts). */
export function renderExplainMarkdown(report: Report): string {
  return renderExplainMarkdownUnsafe(safeForTerminal(report));
}

function renderExplainMarkdownUnsafe(report: Report): string {
  const input = report.input ?? { lines: 0, recognised: 0, shown: 0 };
  const out = [
    `# ${report.tool} ${report.version}: explain ${report.target.name}`,
    '',
    `**${plural(input.lines, 'line')}, ${input.recognised} recognised**`,
    '',
  ];
  for (const group of groups(report.explanations ?? [])) {
    const first = group[0];
    out.push(
      `## ${what(first)}`,
      '',
      '| line | tool | text |',
      '|---|---|---|',
      ...group.map((e) => `| ${e.line} | ${esc(e.tool)} | \`${esc(clip(e.text, 300))}\` |`),
      '',
      first.failure.meaning,
      '',
    );
    for (const cause of first.causes) {
      out.push(
        `${cause.rank}. ${cause.cause}${cause.rules.length ? ` Rules: ${cause.rules.map((r) => `\`${r.id}\``).join(', ')}.` : ''}${cause.check ? ` Check: ${cause.check}` : ''}`,
      );
    }
    if (first.next.length) out.push('', '```sh', ...first.next, '```');
    out.push('');
  }
  if (input.recognised === 0)
    out.push(
      `Not recognised: no line is a connection-failure message this catalogue knows (${catalogueSummary()}).`,
      '',
    );
  else if (input.shown < input.recognised)
    out.push(
      `${input.recognised - input.shown} more recognised lines are counted but not shown: the first ${input.shown} are.`,
      '',
    );
  return out.join('\n');
}
