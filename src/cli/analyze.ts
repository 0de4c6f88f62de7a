import { Command, Option } from 'commander';
import { LOOSE_KIND_NAMES, type LooseKind } from '../parsers/sniff.js';
import { analyzeBundles } from '../engine.js';
import { selectRules } from '../rules/index.js';
import { addCommonOptions, emit, type CommonOptions } from './options.js';

interface AnalyzeOptions extends CommonOptions {
  nodeportRange?: string;
  as?: LooseKind;
}

export function analyzeCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('analyze')
    .description(
      'run the node rules on bundles (.tar.gz or directories in the bundle layout) or on loose files a customer sent',
    )
    .argument(
      '<input...>',
      'bundles written by `netdoctor collect` or assembled by hand, or loose files (their kind is sniffed)',
    )
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default: from the bundle, else 30000-32767)")
    .addOption(
      new Option('--as <kind>', 'the kind of every loose file, when sniffing guesses wrong').choices(LOOSE_KIND_NAMES),
    );
  addCommonOptions(cmd).addHelpText(
    'after',
    `
Examples:
  netdoctor analyze node-a.tar.gz node-b.tar.gz
  netdoctor analyze ./customer-bundle/ --format json
  netdoctor analyze ss-tan.txt sysctl-a.txt iptables-save.txt kube-proxy.log   (loose files: one machine)
  netdoctor analyze --as ipvsadm-Lnc conns.txt
  (a hand-made bundle: netns/host/sysctl.txt from \`sysctl -a\`, netns/host/proc/net/tcp from \`cat /proc/net/tcp\`;
   docs/bundle-layout.md lists every file and the rules it feeds)`,
  );
  return cmd.action(async (bundles: string[], opts: AnalyzeOptions) => {
    const report = await analyzeBundles(bundles, {
      nodePortsFlag: opts.nodeportRange,
      rules: selectRules(opts.rules),
      as: opts.as,
    });
    setExit(emit(report, opts));
  });
}
