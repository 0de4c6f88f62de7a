import { Command } from 'commander';
import { analyzeCaptures, nodePortsFrom } from '../engine.js';
import { selectCaptureRules } from '../rules/index.js';
import { addCommonOptions, emit, type CommonOptions } from './options.js';

interface PcapOptions extends CommonOptions {
  nodeportRange?: string;
}

export function pcapCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('pcap')
    .description('analyse tcpdump captures (pcap or pcapng) for the TCP handshake patterns of the failures')
    .argument('<capture...>', 'capture files, or - for stdin')
    .option(
      '--nodeport-range <A-B>',
      "the cluster's NodePort range, to recognise a client port inside it (default 30000-32767)",
    );
  addCommonOptions(cmd, ['text', 'json', 'markdown']).addHelpText(
    'after',
    `
Examples:
  sudo tcpdump -i any -w probe.pcap 'tcp port 80 or icmp' & … ; netdoctor pcap probe.pcap
  netdoctor pcap node-a.pcapng --format json
  tcpdump -r big.pcap -w - 'host 10.244.1.7' | netdoctor pcap -

Findings cite frame numbers and times (seconds from the first packet), as Wireshark shows them.`,
  );
  return cmd.action(async (paths: string[], opts: PcapOptions) => {
    const report = await analyzeCaptures(paths, {
      rules: selectCaptureRules(opts.rules),
      nodePortRange: nodePortsFrom(opts.nodeportRange).range,
    });
    setExit(emit(report, opts));
  });
}
