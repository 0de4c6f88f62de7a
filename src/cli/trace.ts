import { Command, InvalidArgumentError, Option } from 'commander';
import { traceConnection } from '../engine.js';
import { renderTraceText } from '../report/trace.js';
import { defaultNetns, netnsOption, timeoutOption, withAsNode } from './options.js';
import type { NetnsSelection } from '../sources/host/collect-node.js';

interface TraceOptions {
  to: { ip: string; port: number };
  from?: { ip: string; port?: number };
  proto: 'tcp' | 'udp';
  arriving?: boolean;
  in?: string;
  local?: boolean;
  localAddress?: string[];
  netns?: NetnsSelection;
  asNode?: boolean;
  timeout: number;
  format: 'text' | 'json';
}

function endpoint(text: string, portRequired: boolean): { ip: string; port: number } {
  const m = /^\[?([0-9a-fA-F:.]+?)\]?(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m?.[1] || (portRequired && port === undefined) || (port !== undefined && port > 65535))
    throw new InvalidArgumentError(`"${text}": expected IP${portRequired ? ':PORT' : '[:PORT]'}`);
  return { ip: m[1], port: port ?? 0 };
}

export function traceCommand(setExit: (code: number) => void): Command {
  return new Command('trace')
    .description("where a new connection to IP:PORT goes through kube-proxy's NAT, in each iptables backend")
    .argument(
      '[inputs...]',
      "a bundle, or loose files (iptables-save, ipset save, ip route show table all, ipvsadm -Ln); default: this node's rules, sets and routes, read live",
    )
    .requiredOption(
      '--to <ip:port>',
      'the destination (a Service IP, a NodePort on a node address, a pod)',
      (v: string) => endpoint(v, true),
    )
    .option('--from <ip[:port]>', 'the source address (and port)', (v: string) => endpoint(v, false))
    .addOption(new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp']).default('tcp'))
    .addOption(
      new Option('--arriving', 'a packet arriving from outside (PREROUTING, then INPUT or FORWARD)').conflicts('local'),
    )
    .addOption(
      new Option('--in <iface>', 'arriving on this interface (implies --arriving; decides -i matches)').conflicts(
        'local',
      ),
    )
    .option('--local', 'a packet this node sends (OUTPUT, POSTROUTING): the default')
    .option(
      '--local-address <ip...>',
      "the node's own addresses (for -m addrtype LOCAL; default: the local routes when read, else such matches are said to be assumed)",
    )
    .addOption(netnsOption())
    .option('--as-node', 'with --netns self: this namespace is the node')
    .addOption(timeoutOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  sudo netdoctor trace --to 10.96.0.1:443
  netdoctor trace node.tar.gz --to 10.96.0.10:53 --proto udp
  netdoctor trace iptables-save.txt --to 192.168.49.3:31000 --arriving --local-address 192.168.49.3
  netdoctor trace iptables-save.txt ipset-save.txt ip-route.txt --to 10.96.0.10:53 --proto udp --in eth0

Loose files are recognised by their content: iptables-save (either backend), ipset save or ipset list,
ip route show table all (and ip -6 route …), ipvsadm -Ln / -Lnc.`,
    )
    .action(async (inputs: string[], opts: TraceOptions) => {
      const result = await traceConnection({
        paths: inputs,
        netns: withAsNode(opts.netns ?? defaultNetns(), opts.asNode),
        packet: {
          proto: opts.proto,
          dst: opts.to.ip,
          dport: opts.to.port,
          ...(opts.from ? { src: opts.from.ip, ...(opts.from.port ? { sport: opts.from.port } : {}) } : {}),
          mark: 0,
        },
        origin: opts.arriving || opts.in !== undefined ? 'arriving' : 'local',
        ...(opts.in !== undefined ? { inInterface: opts.in } : {}),
        localAddresses: opts.localAddress ? new Set(opts.localAddress) : undefined,
        timeoutMs: opts.timeout,
      });
      process.stdout.write(
        opts.format === 'json'
          ? `${JSON.stringify({ schemaVersion: 1, kind: 'trace', ...result }, null, 2)}\n`
          : renderTraceText(result),
      );
      setExit(0);
    });
}
