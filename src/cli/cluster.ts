import { Command } from 'commander';
import { analyzeClusterDump, analyzeClusterLive } from '../engine.js';
import { parsePortRange } from '../parsers/port-range.js';
import { selectClusterRules } from '../rules/index.js';
import { addCommonOptions, emit, type CommonOptions } from './options.js';

interface ClusterOptions extends CommonOptions {
  fromDump?: string[];
  nodeportRange?: string;
  kubeconfig?: string;
  context?: string;
}

export function clusterCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('cluster')
    .description("check the cluster's own configuration for these failures, from its API objects")
    .option('--from-dump <path...>', 'recorded `kubectl get … -o json` output: files, or directories of *.json')
    .option(
      '--nodeport-range <A-B>',
      "the cluster's NodePort range (default: kube-apiserver's --service-node-port-range where its pod is visible, else 30000-32767)",
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context');
  addCommonOptions(cmd).addHelpText(
    'after',
    `
Examples:
  kubectl netdoctor cluster --context prod           read-only: nodes, services, daemonsets, kube-proxy's ConfigMap
  mkdir dump && kubectl get nodes,services,daemonsets -A -o json > dump/objects.json
  netdoctor cluster --from-dump dump/ --format json --rules nodeport-in-ephemeral-range`,
  );
  return cmd.action(async (opts: ClusterOptions) => {
    const judged = {
      rules: selectClusterRules(opts.rules),
      // not given: kube-apiserver's --service-node-port-range where its static pod is visible, else the default
      ...(opts.nodeportRange ? { nodePortRange: parsePortRange(opts.nodeportRange, '--nodeport-range') } : {}),
    };
    const report =
      opts.fromDump && opts.fromDump.length > 0
        ? await analyzeClusterDump(opts.fromDump, judged)
        : await analyzeClusterLive({ ...judged, kubeconfig: opts.kubeconfig, context: opts.context });
    setExit(emit(report, opts));
  });
}
