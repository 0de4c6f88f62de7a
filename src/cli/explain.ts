import { Command, Option } from 'commander';
import { explainText } from '../engine.js';
import { renderJson } from '../report/json.js';
import { renderExplainMarkdown, renderExplainText } from '../report/explain.js';
import { useColor } from './options.js';

interface ExplainOptions {
  format?: 'text' | 'json' | 'markdown';
  color: boolean;
  quiet?: boolean;
}

export function explainCommand(setExit: (code: number) => void): Command {
  return new Command('explain')
    .description(
      'explain a pasted connection error: the syscall and errno behind it, what it means, the likely causes on a Kubernetes node and the rules that confirm each',
    )
    .argument('<text...>', 'the message (quote it), or - to read lines from stdin (a log excerpt)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']))
    .option('--no-color', 'no colours, even on a terminal')
    .option('--quiet', 'print the explanations only: no header, no count of other lines')
    .addHelpText(
      'after',
      `
Examples:
  netdoctor explain "curl: (7) Failed to connect to 10.96.0.10 port 80 after 0 ms: Couldn't connect to server"
  netdoctor explain 'Liveness probe failed: Get "http://10.244.1.7:8080/healthz": dial tcp 10.244.1.7:8080: connect: connection refused'
  kubectl logs deploy/web --since 10m | netdoctor explain -
  netdoctor explain - < /var/log/nginx/error.log --format json

It knows the messages of curl, wget, busybox, nc, Go (and so kubelet), Node.js, Python, Java and nginx,
and the errno texts of glibc, musl and Go. Exit status: 0 when the text was read (recognised or not),
2 when there was no text. The first 1000 recognised lines are explained;
the rest are counted.`,
    )
    .action(async (text: string[], opts: ExplainOptions) => {
      const report = await explainText(text);
      process.stdout.write(
        opts.format === 'json'
          ? renderJson(report)
          : opts.format === 'markdown'
            ? renderExplainMarkdown(report)
            : renderExplainText(report, { color: useColor(opts), quiet: opts.quiet }),
      );
      setExit(0);
    });
}
