import { Command, InvalidArgumentError, Option } from 'commander';
import { parsePortList, parsePortRange } from '../parsers/port-range.js';
import { DEFAULT_NODEPORT_RANGE, formatRange } from '../model/port-range.js';
import {
  plan,
  remedies,
  twReuseApplies,
  TIME_WAIT_SECONDS,
  type PlanInput,
  type PlanResult,
  type Remedy,
} from '../plan/capacity.js';
import { fmt } from '../rules/lib/evidence.js';
import { SCHEMA_VERSION } from '../sources/bundle/dir-sink.js';
import { TOOL_NAME, TOOL_VERSION } from '../sources/package-info.js';
import { parseDuration } from './options.js';

interface PlanOptions {
  rate: number;
  lifetime: number;
  destinations: number;
  sourceIps: number;
  range: string;
  reserved?: string;
  twReuse: string;
  loopback?: boolean;
  closer: 'client' | 'server';
  nodeportRange?: string;
  format: 'text' | 'json';
}

const positive = (what: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number, not "${text}"`);
  return n;
};
const count = (what: string) => (text: string) => {
  const n = positive(what)(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number, not "${text}"`);
  return n;
};

export function planCommand(setExit: (code: number) => void): Command {
  return new Command('plan')
    .description(
      'capacity arithmetic for ephemeral ports: steady state, headroom, time until exhaustion, and what each remedy buys',
    )
    .requiredOption('--rate <per-second>', 'new connections per second, over all destinations', positive('--rate'))
    .option('--lifetime <duration>', 'how long each connection stays open (e.g. 50ms, 2s, 10m)', parseDuration, 0)
    .option(
      '--destinations <n>',
      'distinct destination IP:port the connections are spread over',
      count('--destinations'),
      1,
    )
    .option('--source-ips <n>', 'source IPs the client connects from', count('--source-ips'), 1)
    .option('--range <A-B>', 'net.ipv4.ip_local_port_range', '32768-60999')
    .option('--reserved <list>', 'net.ipv4.ip_local_reserved_ports (e.g. 30000-32767,40000)')
    .addOption(
      new Option('--tw-reuse <mode>', 'net.ipv4.tcp_tw_reuse: 0, 1, or 2 = loopback only')
        .choices(['0', '1', '2'])
        .default('2'),
    )
    .option('--loopback', 'the destinations are on loopback (tcp_tw_reuse=2 applies)')
    .addOption(
      new Option('--closer <side>', 'who closes first and so keeps TIME_WAIT')
        .choices(['client', 'server'])
        .default('client'),
    )
    .option(
      '--nodeport-range <A-B>',
      'the NodePort range to keep reserved when widening',
      formatRange(DEFAULT_NODEPORT_RANGE),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Exits 1 when the range runs out under this load, 0 when it holds.

Examples:
  netdoctor plan --rate 500 --lifetime 100ms                    one service, short requests
  netdoctor plan --rate 2000 --destinations 3 --tw-reuse 1      three endpoints, reuse on
  netdoctor plan --rate 50 --range 40000-40199 --tw-reuse 0 --format json`,
    )
    .action((opts: PlanOptions) => {
      const input: PlanInput = {
        rate: opts.rate,
        lifetime: opts.lifetime / 1000,
        destinations: opts.destinations,
        sourceIps: opts.sourceIps,
        range: parsePortRange(opts.range, '--range'),
        reserved: opts.reserved ? parsePortList(opts.reserved, '--reserved') : [],
        twReuse: Number(opts.twReuse) as 0 | 1 | 2,
        loopback: opts.loopback === true,
        closer: opts.closer,
      };
      const result = plan(input);
      const options = remedies(
        input,
        parsePortRange(opts.nodeportRange ?? formatRange(DEFAULT_NODEPORT_RANGE), '--nodeport-range'),
      );
      process.stdout.write(
        opts.format === 'json' ? renderJson(input, result, options) : renderText(input, result, options),
      );
      setExit(result.exhaustedAfter !== undefined ? 1 : 0);
    });
}

function renderJson(input: PlanInput, result: PlanResult, options: Remedy[]): string {
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  return (
    JSON.stringify(
      {
        tool: TOOL_NAME,
        version: TOOL_VERSION,
        schemaVersion: SCHEMA_VERSION,
        target: { kind: 'plan', name: `${input.rate}/s` },
        input: {
          ...input,
          range: formatRange(input.range),
          reserved: input.reserved.map(formatRange),
          timeWaitSeconds: TIME_WAIT_SECONDS,
          twReuseApplies: twReuseApplies(input),
        },
        result: { ...result, utilisation: finite(result.utilisation), maxRate: finite(result.maxRate) },
        remedies: options.map((r) => ({ ...r, maxRate: r.maxRate === undefined ? undefined : finite(r.maxRate) })),
      },
      null,
      2,
    ) + '\n'
  );
}

const n1 = (x: number) => fmt(Math.round(x * 10) / 10);
const seconds = (s: number) => (s >= 120 ? `${n1(s / 60)} min` : `${n1(s)} s`);

function renderText(input: PlanInput, r: PlanResult, options: Remedy[]): string {
  const reuse = twReuseApplies(input);
  const lines = [
    `Load: ${fmt(input.rate)} new connections/s over ${input.destinations} destination(s) from ${input.sourceIps} source IP(s), each open ${seconds(input.lifetime)}; the ${input.closer} closes first${input.closer === 'client' ? (reuse ? ', and tcp_tw_reuse frees its TIME_WAIT ports after 1 s' : ` and holds each port ${TIME_WAIT_SECONDS} s in TIME_WAIT (tcp_tw_reuse=${input.twReuse}${input.twReuse === 2 && !input.loopback ? ', not loopback' : ''})`) : ''}.`,
    `Range ${formatRange(input.range)}${input.reserved.length ? ` minus ${input.reserved.map(formatRange).join(',')}` : ''}: ${fmt(r.usable)} usable ports per destination and source IP.`,
    '',
    `  per destination:  ${n1(r.ratePerTuple)} connections/s × ${seconds(r.holdSeconds)} held = ${fmt(Math.ceil(r.steadyPorts))} ports at steady state (${fmt(Math.ceil(r.steadyTimeWait))} in TIME_WAIT)`,
    `  headroom:         ${r.headroom >= 0 ? `${fmt(Math.floor(r.headroom))} ports free (${Math.round(r.utilisation * 100)}% used)` : `none: ${fmt(Math.ceil(-r.headroom))} ports short`}`,
    `  sustainable:      up to ${Number.isFinite(r.maxRate) ? fmt(Math.floor(r.maxRate)) : 'any'} connections/s in total`,
    r.exhaustedAfter !== undefined
      ? `  runs out:         after ${seconds(r.exhaustedAfter)} from a quiet start, with ~${fmt(Math.round(r.timeWaitAtExhaustion!))} TIME_WAIT sockets per destination; then connect() fails with EADDRNOTAVAIL`
      : '  runs out:         never at this load',
    '',
    'What each remedy buys:',
    ...options.map(
      (o) =>
        `  ${o.name.padEnd(20)} ${o.change}: ${fmt(Math.ceil(o.steadyPorts))} of ${fmt(o.usable)} ports, ${o.headroom >= 0 ? `${fmt(Math.floor(o.headroom))} free` : `${fmt(Math.ceil(-o.headroom))} short${o.exhaustedAfter !== undefined ? `, runs out after ${seconds(o.exhaustedAfter)}` : ''}`}${o.maxRate !== undefined && Number.isFinite(o.maxRate) ? `; sustains ${fmt(Math.floor(o.maxRate))}/s` : ''}`,
    ),
  ];
  return lines.join('\n') + '\n';
}
