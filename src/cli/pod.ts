import { Command } from 'commander';
import { diagnoseRemotePod } from '../engine.js';
import { selectRules } from '../rules/index.js';
import { addCommonOptions, emit, timeoutOption, UsageError, type CommonOptions } from './options.js';
import { addKubeOptions, interruptible, progress } from './remote.js';

interface PodOptions extends CommonOptions {
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  collectorNamespace: string;
  image: string;
  keepBundle?: string;
  nodeportRange?: string;
  timeout: number;
}

export function podCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('pod')
    .description("diagnose a pod from here: its node is collected through the API, and the report is the pod's")
    .argument('<pod>', 'NAMESPACE/NAME, or NAME with -n NAMESPACE')
    .option('-n, --namespace <ns>', "the pod's namespace (default: default)")
    .option('--collector-namespace <ns>', 'where the collector pod runs (it must allow privileged pods)', 'netdoctor')
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default 30000-32767)")
    .addOption(timeoutOption());
  addCommonOptions(addKubeOptions(cmd, "the node's bundle")).addHelpText(
    'after',
    `
Examples:
  kubectl netdoctor pod shop/web-7d9f8c6b5-x2x4q
  kubectl netdoctor pod web-7d9f8c6b5-x2x4q -n shop --context prod --format json`,
  );
  return cmd.action(async (target: string, opts: PodOptions) => {
    const [namespace, name] = target.includes('/') ? target.split('/', 2) : [opts.namespace ?? 'default', target];
    if (!namespace || !name || (target.includes('/') && opts.namespace && opts.namespace !== namespace))
      throw new UsageError(`"${target}": give NAMESPACE/NAME, or NAME with -n NAMESPACE`);
    const report = await interruptible((signal) =>
      diagnoseRemotePod({
        namespace,
        name,
        kubeconfig: opts.kubeconfig,
        context: opts.context,
        collectorNamespace: opts.collectorNamespace,
        image: opts.image,
        timeoutMs: opts.timeout,
        keepBundles: opts.keepBundle,
        rules: selectRules(opts.rules),
        nodePortsFlag: opts.nodeportRange,
        progress: progress(),
        signal,
      }),
    );
    setExit(emit(report, opts));
  });
}
