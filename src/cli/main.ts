import { ToolError } from '../model/errors.js';
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../sources/package-info.js';
import { agentCommand } from './agent.js';
import { analyzeCommand } from './analyze.js';
import { clusterCommand } from './cluster.js';
import { podCommand } from './pod.js';
import { traceCommand } from './trace.js';
import { collectCommand } from './collect.js';
import { explainCommand } from './explain.js';
import { lintCommand } from './lint.js';
import { nodeCommand } from './node.js';
import { pcapCommand } from './pcap.js';
import { planCommand } from './plan.js';
import { rulesCommand } from './rules.js';

/** `netdoctor rules | head -1`: the reader left; that is not an error, and nothing more needs writing. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  let exitCode = 0;
  const setExit = (code: number) => void (exitCode = code);
  const program = new Command('netdoctor')
    .description('Finds the root cause of Kubernetes TCP failures below Services and Pods.')
    .version(TOOL_VERSION, '--version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  sudo netdoctor node\n  sudo netdoctor collect -o node.tar.gz && netdoctor analyze node.tar.gz\n  netdoctor lint k8s/ --format sarif\n  netdoctor explain "dial tcp 10.96.0.1:443: connect: no route to host"\n  netdoctor plan --rate 500 --lifetime 100ms\n  netdoctor rules ephemeral-port-exhaustion',
    );
  for (const make of [
    nodeCommand,
    collectCommand,
    analyzeCommand,
    lintCommand,
    explainCommand,
    pcapCommand,
    planCommand,
    rulesCommand,
    agentCommand,
    clusterCommand,
    podCommand,
    traceCommand,
  ]) {
    program.addCommand(make(setExit).exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    // the tool could not do its job (exit 2), with a message that says what to do
    if (e instanceof ToolError || (e as Error).name === 'InvalidArgumentError') {
      process.stderr.write(`netdoctor: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(
      `netdoctor: internal error: ${(e instanceof Error ? e.stack : undefined) ?? String(e)}\nPlease report it with the command line you ran.\n`,
    );
    return 2;
  }
}
