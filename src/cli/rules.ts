import { Command } from 'commander';
import { docsPath } from '../model/finding.js';
import { ALL_RULES, ruleInfo } from '../rules/index.js';
import { readRuleDoc } from '../sources/docs.js';

export function rulesCommand(setExit: (code: number) => void): Command {
  return new Command('rules')
    .description("list the rules, or print one rule's documentation")
    .argument('[id]', 'a rule id')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  netdoctor rules\n  netdoctor rules ephemeral-port-exhaustion')
    .action((id: string | undefined, opts: { format: string }) => {
      if (id) {
        process.stdout.write(readRuleDoc(ruleInfo(id).id));
        setExit(0);
        return;
      }
      if (opts.format === 'json') {
        process.stdout.write(
          JSON.stringify(
            ALL_RULES.map((r) => ({ ...r, docs: docsPath(r.id) })),
            null,
            2,
          ) + '\n',
        );
      } else {
        const width = Math.max(...ALL_RULES.map((r) => r.id.length));
        for (const r of ALL_RULES)
          process.stdout.write(`${r.id.padEnd(width)}  ${r.target.padEnd(9)}  ${r.severity.padEnd(7)}  ${r.title}\n`);
      }
      setExit(0);
    });
}
