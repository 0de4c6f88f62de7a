import { Command } from 'commander';
import { docsPath } from '../rules/define-rule.js';
import { NODE_RULES, selectRules } from '../rules/index.js';
import { readRuleDoc } from '../sources/docs.js';

export function rulesCommand(setExit: (code: number) => void): Command {
  return new Command('rules')
    .description("list the rules, or print one rule's documentation")
    .argument('[id]', 'a rule id')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  netdoctor rules\n  netdoctor rules ephemeral-port-exhaustion')
    .action((id: string | undefined, opts: { format: string }) => {
      if (id) {
        const [rule] = selectRules([id]);
        process.stdout.write(readRuleDoc(rule.id));
        return setExit(0);
      }
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(NODE_RULES.map(({ id: rid, title, severity, needs, scope }) => ({ id: rid, title, severity, needs, scope, docs: docsPath(rid) })), null, 2) + '\n');
      } else {
        const width = Math.max(...NODE_RULES.map((r) => r.id.length));
        for (const r of NODE_RULES) process.stdout.write(`${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}\n`);
      }
      setExit(0);
    });
}
