import { Command } from 'commander';
import { collectBundle, nodePortsFrom } from '../engine.js';
import type { NetnsSelection } from '../sources/host/collect-node.js';
import { machine } from '../sources/host/machine.js';
import { defaultNetns, intervalOption, netnsOption, timeoutOption, withAsNode } from './options.js';

interface CollectOptions {
  output?: string;
  netns?: NetnsSelection;
  interval: number;
  nodeportRange?: string;
  redact?: boolean;
  kubeProxyLog?: string;
  asNode?: boolean;
  timeout: number;
  base64?: boolean;
}

export function collectCommand(setExit: (code: number) => void): Command {
  return new Command('collect')
    .description('write everything `node` reads into a bundle (.tar.gz) for offline analysis')
    .option('-o, --output <file>', 'bundle to write (.tar.gz; a path ending in / writes a directory; - for stdout)')
    .option('--base64', 'with -o -: the .tar.gz as base64 lines (for a pod log, which is text)')
    .addOption(netnsOption())
    .option(
      '--as-node',
      "with --netns self: record this namespace as the node's own even when the kernel shows it is not",
    )
    .addOption(timeoutOption())
    .addOption(intervalOption())
    .option('--nodeport-range <A-B>', "the cluster's NodePort range, stored in the bundle")
    .option('--redact', 'replace every IP address with a consistent stand-in')
    .option(
      '--kube-proxy-log <file>',
      "kube-proxy's log (default: found under /var/log/pods, /var/log/containers or in journald)",
    )
    .addHelpText(
      'after',
      `
Examples:
  sudo netdoctor collect -o node-a.tar.gz
  sudo netdoctor collect --redact -o /tmp/for-support.tar.gz
  sudo netdoctor collect -o - | ssh support@host 'cat > node-a.tar.gz'
  netdoctor analyze node-a.tar.gz`,
    )
    .action(async (opts: CollectOptions) => {
      const out =
        opts.output ?? `netdoctor-${machine().hostname}-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
      await collectBundle({
        out,
        netns: withAsNode(opts.netns ?? defaultNetns(), opts.asNode),
        intervalMs: opts.interval,
        nodePorts: opts.nodeportRange ? nodePortsFrom(opts.nodeportRange) : undefined,
        redact: opts.redact === true,
        kubeProxyLog: opts.kubeProxyLog,
        timeoutMs: opts.timeout,
        base64: opts.base64,
      });
      if (out !== '-') process.stderr.write(`wrote ${out}\n`);
      setExit(0);
    });
}
