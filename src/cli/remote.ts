/** What `node NODE…` and `pod NS/NAME` share: Ctrl-C that cleans up, progress on a terminal, the image. */
import type { Command } from 'commander';
import { TOOL_VERSION } from '../sources/package-info.js';

const DEFAULT_IMAGE = `ghcr.io/kube-netdoctor/kube-netdoctor:${TOOL_VERSION}`;

/**
 * Runs `work` with a signal that Ctrl-C (or SIGTERM) aborts: the collector pods are deleted before the
 * process ends; a second Ctrl-C quits at once.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('netdoctor: interrupted; deleting the collector pods…\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line per node and step, only on a terminal (a pipe gets the report alone). */
export function progress(): ((node: string, state: string) => void) | undefined {
  return process.stderr.isTTY ? (node, state) => process.stderr.write(`${node}: ${state}\n`) : undefined;
}

/** The options every command that reaches the cluster takes, with kubectl's names. */
export function addKubeOptions(cmd: Command, bundleWord: string): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--image <image>', 'the collector image', DEFAULT_IMAGE)
    .option('--keep-bundle <dir>', `keep ${bundleWord} in this directory`);
}
