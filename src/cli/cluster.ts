import { Command } from 'commander';
import { analyzeClusterDump } from '../engine.js';
import { DEFAULT_NODEPORT_RANGE } from '../model/port-range.js';
import { parsePortRange } from '../parsers/port-range.js';
import { selectClusterRules } from '../rules/index.js';
import { addCommonOptions, emit, UsageError, type CommonOptions } from './options.js';

interface ClusterOptions extends CommonOptions {
  fromDump?: string[];
  nodeportRange?: string;
}

export function clusterCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('cluster')
    .description("check the cluster's own configuration for these failures, from its API objects")
    .option('--from-dump <path...>', 'recorded `kubectl get … -o json` output: files, or directories of *.json')
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default 30000-32767)");
  addCommonOptions(cmd).addHelpText(
    'after',
    `
Examples:
  mkdir dump && kubectl get nodes -o json > dump/nodes.json && kubectl get services -A -o json > dump/services.json
  netdoctor cluster --from-dump dump/
  netdoctor cluster --from-dump dump/ --format json --rules nodeport-in-ephemeral-range

Reading the live API (with your kubeconfig) is not built yet: record the objects as above.`,
  );
  return cmd.action(async (opts: ClusterOptions) => {
    if (!opts.fromDump || opts.fromDump.length === 0)
      throw new UsageError(
        'cluster reads recorded API objects for now: pass --from-dump DIR (kubectl get nodes -o json > DIR/nodes.json; kubectl get services -A -o json > DIR/services.json)',
      );
    const report = await analyzeClusterDump(opts.fromDump, {
      rules: selectClusterRules(opts.rules),
      nodePortRange: opts.nodeportRange
        ? parsePortRange(opts.nodeportRange, '--nodeport-range')
        : DEFAULT_NODEPORT_RANGE,
    });
    setExit(emit(report, opts));
  });
}
