import { Command } from 'commander';
import { diagnoseNode, nodePortsFrom } from '../engine.js';
import { selectRules } from '../rules/index.js';
import {
  addCommonOptions,
  defaultNetns,
  withAsNode,
  emit,
  netnsOption,
  timeoutOption,
  intervalOption,
  type CommonOptions,
} from './options.js';
import type { NetnsSelection } from '../sources/host/collect-node.js';

interface NodeOptions extends CommonOptions {
  netns?: NetnsSelection;
  interval: number;
  nodeportRange?: string;
  kubeProxyLog?: string;
  asNode?: boolean;
  timeout: number;
}

export function nodeCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('node')
    .description("diagnose this machine: the host network namespace and, as root, every pod's")
    .addOption(netnsOption())
    .option(
      '--as-node',
      'with --netns self: judge this namespace as a node even when the kernel shows it is not the first one (for `ip netns exec X` tests)',
    )
    .addOption(timeoutOption())
    .addOption(intervalOption())
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default 30000-32767)")
    .option(
      '--kube-proxy-log <file>',
      "kube-proxy's log (default: found under /var/log/pods, /var/log/containers or in journald)",
    );
  addCommonOptions(cmd).addHelpText(
    'after',
    `
Examples:
  sudo netdoctor node                          every namespace on the node
  netdoctor node --netns self --interval 0     this namespace only, one sample
  sudo ip netns exec web netdoctor node --netns self --format json
  sudo netdoctor node --netns 4121 --rules ephemeral-port-exhaustion
  sudo netdoctor node --rules iptables-backend-split,iptables-missing-chain,kube-proxy-restore-failure \
       --kube-proxy-log /var/log/kube-proxy.log`,
  );
  return cmd.action(async (opts: NodeOptions) => {
    const rules = selectRules(opts.rules);
    const report = await diagnoseNode({
      netns: withAsNode(opts.netns ?? defaultNetns(), opts.asNode),
      intervalMs: opts.interval,
      nodePorts: nodePortsFrom(opts.nodeportRange),
      kubeProxyLog: opts.kubeProxyLog,
      rules,
      timeoutMs: opts.timeout,
    });
    setExit(emit(report, opts));
  });
}
