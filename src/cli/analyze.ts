import { Command } from 'commander';
import { analyzeBundles } from '../engine.js';
import { selectRules } from '../rules/index.js';
import { addCommonOptions, emit, type CommonOptions } from './options.js';

interface AnalyzeOptions extends CommonOptions {
  nodeportRange?: string;
}

export function analyzeCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('analyze')
    .description('run the node rules on bundles (.tar.gz or directories in the bundle layout)')
    .argument('<bundle...>', 'bundles written by `netdoctor collect`, or assembled by hand')
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default: from the bundle, else 30000-32767)");
  addCommonOptions(cmd).addHelpText(
    'after',
    `
Examples:
  netdoctor analyze node-a.tar.gz node-b.tar.gz
  netdoctor analyze ./customer-bundle/ --format json
  (a hand-made bundle: netns/host/sysctl.txt from \`sysctl -a\`, netns/host/proc/net/tcp from \`cat /proc/net/tcp\`)`,
  );
  return cmd.action(async (bundles: string[], opts: AnalyzeOptions) => {
    const report = await analyzeBundles(bundles, { nodePortsFlag: opts.nodeportRange, rules: selectRules(opts.rules) });
    setExit(emit(report, opts));
  });
}
