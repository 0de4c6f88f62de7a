import { Command, Option } from 'commander';
import { diagnoseNode, diagnoseRemoteNodes, nodePortsFrom } from '../engine.js';
import { addKubeOptions, interruptible, progress } from './remote.js';
import type { NodeRule } from '../rules/define-rule.js';
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
  allNodes?: boolean;
  selector?: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  image: string;
  keepBundle?: string;
  concurrency: number;
  netns?: NetnsSelection;
  interval: number;
  nodeportRange?: string;
  kubeProxyLog?: string;
  asNode?: boolean;
  timeout: number;
}

export function nodeCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('node')
    .description(
      "diagnose this machine (the host network namespace and, as root, every pod's), or name nodes to diagnose them from here through the API",
    )
    .argument('[nodes...]', 'nodes of the cluster to diagnose through a short-lived collector pod on each')
    .option('--all-nodes', 'every node of the cluster')
    .option('-l, --selector <selector>', 'the nodes with these labels (e.g. node-role.kubernetes.io/worker=)')
    .option('-n, --namespace <ns>', 'where the collector pods run (it must allow privileged pods)', 'netdoctor')
    .addOption(new Option('--concurrency <n>', 'nodes collected at once').argParser(Number).default(4))
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
  addCommonOptions(addKubeOptions(cmd, "each node's bundle")).addHelpText(
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
  return cmd.action(async (nodes: string[], opts: NodeOptions) => {
    const rules = selectRules(opts.rules);
    if (nodes.length > 0 || opts.allNodes || opts.selector) {
      setExit(emit(await remote(nodes, opts, rules), opts));
      return;
    }
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

/** Remote nodes, with the pods deleted also on Ctrl-C. */
function remote(nodes: string[], opts: NodeOptions, rules: NodeRule[]) {
  return interruptible((signal) =>
    diagnoseRemoteNodes({
      nodes,
      allNodes: opts.allNodes,
      selector: opts.selector,
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      namespace: opts.namespace,
      image: opts.image,
      timeoutMs: opts.timeout,
      keepBundles: opts.keepBundle,
      concurrency: Math.max(1, Math.min(32, opts.concurrency || 4)),
      rules,
      nodePortsFlag: opts.nodeportRange,
      signal,
      progress: progress(),
    }),
  );
}
