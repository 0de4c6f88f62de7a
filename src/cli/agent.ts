import { Command, InvalidArgumentError, Option } from 'commander';
import type { Agent } from '../agent/agent.js';
import { judgeNode, nodePortsFrom } from '../engine.js';
import { nodeReport } from '../report/report.js';
import { renderJson } from '../report/json.js';
import { selectRules } from '../rules/index.js';
import { machine } from '../sources/host/machine.js';
import { ArtefactCadence, SocketTableCache } from '../sources/host/socket-cache.js';
import { TOOL_VERSION } from '../sources/package-info.js';
import { defaultNetns, netnsOption, parseDuration, timeoutOption, UsageError, withAsNode } from './options.js';
import type { NetnsSelection } from '../sources/host/collect-node.js';

interface AgentCliOptions {
  interval: number;
  sampleInterval: number;
  listen: string;
  nodeName?: string;
  kubeconfig?: string;
  context?: string;
  kube: boolean;
  conditions: boolean;
  events: boolean;
  statusDir?: string;
  once?: boolean;
  format: 'json' | 'text';
  netns?: NetnsSelection;
  asNode?: boolean;
  nodeportRange?: string;
  kubeProxyLog?: string;
  rules?: string[];
  timeout: number;
  apiTimeout: number;
}

/** The tick interval: 5 s to 1 h (a tick samples counters for --sample-interval inside it). */
function parseTickInterval(text: string): number {
  const ms = parseDuration(/^\d+$/.test(text.trim()) ? `${text}s` : text);
  if (ms < 5_000 || ms > 3_600_000) throw new InvalidArgumentError(`"${text}": the interval goes from 5s to 1h`);
  return ms;
}

/** One structured line per log entry, on stderr: what a log collector on the node can parse. */
function logLine(entry: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

export function agentCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('agent')
    .description(
      'watch this node: the node rules on every tick, exported as Prometheus metrics, NodeConditions, Events and node-problem-detector status files',
    )
    .addOption(
      new Option('--interval <duration>', 'time between ticks (5s to 1h)')
        .argParser(parseTickInterval)
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--sample-interval <duration>', 'time between the two counter samples inside a tick')
        .argParser(parseDuration)
        .default(2000, '2s'),
    )
    .option('--listen <[host]:port>', 'serve /metrics, /healthz and /readyz here', ':9808')
    .option('--node-name <name>', "this node's name in the API (default: $NODE_NAME, else the host name)")
    .option('--kubeconfig <file>', 'a kubeconfig (default: in-cluster config, else ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('--no-kube', 'do not talk to the API: metrics and status files only')
    .option('--no-conditions', 'do not set NodeConditions (when node-problem-detector sets them from --status-dir)')
    .option('--no-events', 'do not post Events')
    .option('--status-dir <dir>', "write node-problem-detector's status files here (one per condition type)")
    .option('--once', 'run one tick, print what it would export, and exit (nothing is sent to the API)')
    .addOption(new Option('--format <format>', 'output of --once').choices(['json', 'text']).default('json'))
    .addOption(netnsOption())
    .option('--as-node', 'with --netns self: judge this namespace as a node (for `ip netns exec X` tests)')
    .addOption(timeoutOption())
    .addOption(
      new Option('--api-timeout <duration>', 'deadline of each API call')
        .argParser(parseDuration)
        .default(10_000, '10s'),
    )
    .option('--nodeport-range <A-B>', "the cluster's NodePort range (default 30000-32767)")
    .option('--kube-proxy-log <file>', "kube-proxy's log (default: found under /var/log/pods or in journald)")
    .option('--rules <ids>', 'run only these rules (comma-separated ids)', (v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .addHelpText(
      'after',
      `
Examples:
  netdoctor agent                                  in the DaemonSet (deploy/): in-cluster config, NODE_NAME from the downward API
  sudo netdoctor agent --once --format json --no-kube   what one tick would export, for debugging
  sudo netdoctor agent --kubeconfig ~/.kube/config --node-name worker-1 --listen 127.0.0.1:9808
  sudo netdoctor agent --no-conditions --status-dir /var/run/netdoctor   node-problem-detector sets the conditions`,
    );
  return cmd.action(async (opts: AgentCliOptions) => {
    const rules = selectRules(opts.rules);
    const node = opts.nodeName ?? process.env.NODE_NAME ?? machine().hostname;
    const judgement = {
      netns: withAsNode(opts.netns ?? defaultNetns(), opts.asNode),
      intervalMs: opts.sampleInterval,
      nodePorts: nodePortsFrom(opts.nodeportRange),
      kubeProxyLog: opts.kubeProxyLog,
      rules,
      timeoutMs: Math.min(opts.timeout, opts.interval * 2),
      // a pod's socket tables are walked only when their counts could change a verdict (facts/socket-walk.ts);
      // its sysctls and iptables rules are re-read every 30 ticks, its listeners when its listen counters move
      memory: { sockets: new SocketTableCache(), artefacts: new ArtefactCadence(30) },
    };
    if (opts.sampleInterval >= opts.interval)
      throw new UsageError('--sample-interval must be shorter than --interval (both samples are taken inside a tick)');
    // prom-client (and client-node, for an exotic kubeconfig) load here, when the agent runs: no other command pays for them
    const { Agent, runEvery } = await import('../agent/agent.js');
    const { serve } = await import('../sources/agent/http.js');
    const { writeStatusFiles } = await import('../sources/agent/status-dir.js');
    const { addProcessMetrics } = await import('../sources/agent/process-metrics.js');
    let api;
    if (opts.kube && !opts.once) {
      // in a pod, and with a simple kubeconfig, without client-node (80 MiB): sources/kube/agent-api.ts
      const { agentApi } = await import('../sources/kube/agent-api.js');
      api = await agentApi(opts, opts.apiTimeout);
    }
    const statusDir = opts.statusDir;
    const agent = new Agent({
      node,
      version: TOOL_VERSION,
      diagnose: () => judgeNode(judgement),
      api,
      conditions: opts.conditions,
      events: opts.events,
      statusFiles: statusDir
        ? (files) => {
            writeStatusFiles(statusDir, files);
          }
        : undefined,
      log: logLine,
    });
    addProcessMetrics(agent.metrics.registry);
    if (opts.once) {
      setExit(await once(agent, opts.format, rules.length));
      return;
    }
    const { server, port } = await serve(opts.listen, {
      metrics: () => agent.metrics.text(),
      ready: () => agent.ready,
    });
    logLine({ level: 'info', msg: 'agent started', node, port, intervalMs: opts.interval, kube: api !== undefined });
    const stop = new AbortController();
    for (const sig of ['SIGTERM', 'SIGINT'] as const)
      process.once(sig, () => {
        logLine({ level: 'info', msg: `stopping on ${sig}` });
        stop.abort();
      });
    await runEvery(agent, opts.interval, stop.signal);
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
}

async function once(agent: Agent, format: 'json' | 'text', ruleCount: number): Promise<number> {
  const result = await agent.tick();
  if (!result) return 2;
  const snap = agent.snapshot();
  const metrics = await agent.metrics.text();
  if (format === 'json') {
    const report = JSON.parse(
      renderJson(nodeReport({ kind: 'node', name: result.facts.hostname }, [result], ruleCount)),
    ) as unknown;
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, conditions: snap.conditions, events: snap.events, metrics, report }, null, 2)}\n`,
    );
  } else {
    for (const c of snap.conditions) process.stdout.write(`${c.type} ${c.status} ${c.reason}: ${c.message}\n`);
    process.stdout.write(`\n${metrics}`);
  }
  return 0;
}
