// Commands load what only they use (the YAML stack for lint, the capture reader for pcap, the message
// catalogue for explain) when they run: every other command starts without paying for them.
import { FactsBuilder } from './facts/builder.js';
import type { NodeFacts } from './facts/types.js';
import type { Leaf, Packet, WalkOptions } from './trace/walk.js';
import type { RouteAnswer } from './trace/route.js';
import type { IpvsStep } from './trace/ipvs.js';
import type { ClusterObjects } from './parsers/k8s-objects.js';
import type { RuleRun } from './model/coverage.js';
import { MAX_LIVE_FLOWS, type CaptureFacts } from './facts/handshakes.js';
import { ToolError } from './model/errors.js';
import { ParseError } from './parsers/parse-error.js';
import { parsePortRange } from './parsers/port-range.js';
import { DEFAULT_NODEPORT_RANGE, formatRange, type PortRange } from './model/port-range.js';
import { buildReport, nodeReport, type CaptureSummary, type Report } from './report/report.js';
import type { CaptureRule, ClusterRule, ManifestRule, ManifestRuleOptions, NodeRule } from './rules/define-rule.js';
import { completeFinding, sortFindings, summarize, type Finding } from './model/finding.js';
import { runNodeRules } from './rules/lib/run.js';
import { openBundle } from './sources/bundle/archive.js';
import { readManifest, replayBundle } from './sources/bundle/replay.js';
import { writeBundle } from './sources/bundle/write.js';
import { isBundlePath } from './sources/bundle/kind.js';
import { replayLooseFiles } from './sources/loose.js';
import type { LooseKind } from './parsers/sniff.js';
import { collectNode, type NetnsSelection } from './sources/host/collect-node.js';
import { machine } from './sources/host/machine.js';
import type { ArtefactCadence, SocketTableCache } from './sources/host/socket-cache.js';
import './sources/package-info.js'; // sets the version reports carry

const DEFAULT_NODEPORT_ORIGIN = 'Kubernetes default; pass --nodeport-range if the cluster differs';

interface NodePorts {
  range: PortRange;
  origin: string;
}

export function nodePortsFrom(flag: string | undefined): NodePorts {
  return flag
    ? { range: parsePortRange(flag, '--nodeport-range'), origin: '--nodeport-range' }
    : { range: DEFAULT_NODEPORT_RANGE, origin: DEFAULT_NODEPORT_ORIGIN };
}

interface NodeJudgement {
  netns: NetnsSelection;
  intervalMs: number;
  nodePorts: NodePorts;
  kubeProxyLog?: string;
  rules: NodeRule[];
  timeoutMs?: number;
  /** the agent's memory between ticks (sources/host/socket-cache.ts) */
  memory?: { sockets: SocketTableCache; artefacts: ArtefactCadence };
}

/** Collect from this machine straight into the analyser, then judge: the facts and the rules' verdicts. */
export async function judgeNode(opts: NodeJudgement): Promise<{ facts: NodeFacts; run: RuleRun }> {
  const here = machine();
  const builder = new FactsBuilder({
    target: { kind: 'node', name: here.hostname },
    byteOrder: here.byteOrder,
    nodePorts: opts.nodePorts,
  });
  await collectNode(builder, {
    netns: opts.netns,
    intervalMs: opts.intervalMs,
    kubeProxyLog: opts.kubeProxyLog,
    timeoutMs: opts.timeoutMs,
    memory: opts.memory,
  });
  const facts = builder.facts();
  return { facts, run: runNodeRules(facts, opts.rules) };
}

/** `netdoctor node`: the report of one judgement of this machine. */
export async function diagnoseNode(opts: NodeJudgement): Promise<Report> {
  const { facts, run } = await judgeNode(opts);
  return nodeReport({ kind: 'node', name: facts.hostname }, [{ facts, run }], opts.rules.length);
}

/** `netdoctor collect`: the same collection, written as a bundle (a .tar.gz, or a directory when `out` ends in /). */
export async function collectBundle(opts: {
  out: string;
  netns: NetnsSelection;
  intervalMs: number;
  nodePorts?: NodePorts;
  kubeProxyLog?: string;
  redact: boolean;
  timeoutMs?: number;
  base64?: boolean;
}): Promise<void> {
  await writeBundle(
    opts.out,
    opts.redact,
    (sink) =>
      collectNode(sink, {
        netns: opts.netns,
        intervalMs: opts.intervalMs,
        nodePortRange: opts.nodePorts ? formatRange(opts.nodePorts.range) : undefined,
        nodePortRangeOrigin: opts.nodePorts?.origin,
        kubeProxyLog: opts.kubeProxyLog,
        timeoutMs: opts.timeoutMs,
      }),
    { base64: opts.base64 },
  );
}

/**
 * `netdoctor analyze`: replay bundles into the analyser, as `node` would have judged those machines. Files
 * that are not bundles are loose artefacts of one machine (what a customer sent), read together.
 */
export async function analyzeBundles(
  paths: string[],
  opts: { nodePortsFlag?: string; rules: NodeRule[]; as?: LooseKind },
): Promise<Report> {
  const runs = [];
  const loose = paths.filter((p) => !isBundlePath(p));
  if (loose.length > 0) {
    const builder = new FactsBuilder({
      target: { kind: 'bundle', name: loose.join(', ') },
      byteOrder: 'LE',
      nodePorts: nodePortsFrom(opts.nodePortsFlag),
    });
    const { names } = await replayLooseFiles(loose, opts.as, builder);
    const facts = builder.facts();
    const run = runNodeRules(facts, opts.rules);
    // Evidence names the file the user has, not the bundle slot it was filed in.
    for (const f of run.findings) for (const e of f.evidence) e.source = names.get(e.source) ?? e.source;
    runs.push({ facts, run });
  }
  for (const path of paths.filter(isBundlePath)) {
    const bundle = await openBundle(path);
    try {
      const manifest = await readManifest(bundle.dir);
      const fromManifest = manifestNodePorts(manifest);
      if (fromManifest.problem) manifest.manifestProblems.push(fromManifest.problem);
      const nodePorts: NodePorts = opts.nodePortsFlag
        ? nodePortsFrom(opts.nodePortsFlag)
        : (fromManifest.nodePorts ?? nodePortsFrom(undefined));
      const builder = new FactsBuilder({
        target: { kind: 'bundle', name: path },
        byteOrder: manifest.byteOrder ?? 'LE',
        nodePorts,
      });
      for (const r of bundle.refused)
        builder.failed(r.path.replace(/^[^/]+\/(?=(netns|host|logs|k8s)\/)/, ''), r.reason);
      await replayBundle(bundle.dir, manifest, builder);
      const facts = builder.facts();
      runs.push({ facts, run: runNodeRules(facts, opts.rules) });
    } finally {
      await bundle.cleanup();
    }
  }
  return nodeReport({ kind: 'bundle', name: paths.join(', ') }, runs, opts.rules.length);
}

/** The NodePort range a bundle recorded; a value that is no range is a problem, and the default stands in. */
function manifestNodePorts(m: { nodePortRange?: string; nodePortRangeOrigin?: string }): {
  nodePorts?: NodePorts;
  problem?: string;
} {
  if (!m.nodePortRange) return {};
  try {
    return {
      nodePorts: {
        range: parsePortRange(m.nodePortRange, 'manifest.json nodePortRange'),
        origin: m.nodePortRangeOrigin ?? 'bundle manifest',
      },
    };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { problem: `field "nodePortRange": ${e.reason}; the default 30000-32767 was used` };
  }
}

/** `netdoctor lint`: manifests → workloads → manifest rules. Unreadable documents become problems. */
export async function lintPaths(
  paths: string[],
  opts: { rules: ManifestRule[]; options: ManifestRuleOptions; stdin?: () => Promise<string> },
): Promise<Report> {
  const [{ ManifestInputError, readManifests, STDIN_NAME }, { workloadOf }, { runManifestRules }] = await Promise.all([
    import('./sources/manifests.js'),
    import('./facts/workloads.js'),
    import('./rules/lib/run-manifests.js'),
  ]);
  const files = await readManifests(paths, opts.stdin);
  const documents = files.reduce((n, f) => n + f.objects.length, 0);
  const documentErrors = files.reduce((n, f) => n + f.problems.length, 0);
  if (files.length === 0)
    throw new ManifestInputError(
      `${paths.join(', ')}: no manifest files (*.yaml, *.yml, *.json) found; nothing was linted`,
    );
  if (documents === 0 && documentErrors === 0) {
    throw new ManifestInputError(
      `${paths.map((p) => (p === '-' ? STDIN_NAME : p)).join(', ')}: no Kubernetes documents in the input (empty, or only comments); nothing was linted`,
    );
  }
  const workloads = files.flatMap((f) => f.objects.flatMap((o) => workloadOf(o) ?? []));
  const { findings, suppressed } = runManifestRules(workloads, opts.rules, opts.options);
  const kinds = [...new Set(files.flatMap((f) => f.objects.map((o) => o.get('kind').text() ?? '(no kind)')))];
  const notes =
    workloads.length === 0 && documents > 0
      ? [
          `${documents} document${documents === 1 ? '' : 's'} read (${kinds.slice(0, 6).join(', ')}${kinds.length > 6 ? ', …' : ''}), none with a pod template: there was nothing for the rules to check`,
        ]
      : [];
  return buildReport({ kind: 'manifests', name: paths.map((p) => (p === '-' ? STDIN_NAME : p)).join(', ') }, findings, {
    skipped: [],
    problems: files.flatMap((f) =>
      f.problems.map((p) => ({
        artefact: p.source,
        line: p.position.line,
        column: p.position.column,
        reason: p.message,
      })),
    ),
    suppressed,
    ...(notes.length > 0 ? { notes } : {}),
    context: {
      files: files.length,
      workloads: workloads.length,
      rules: opts.rules.length,
      k8sVersion: opts.options.k8sVersion.join('.'),
    },
  });
}

/** `netdoctor pcap`: each capture streamed into handshake facts, then the capture rules. */
export async function analyzeCaptures(
  paths: string[],
  opts: { rules: CaptureRule[]; nodePortRange: PortRange },
): Promise<Report> {
  const { readCapture } = await import('./sources/capture.js');
  const findings: Finding[] = [];
  const captures = [];
  for (const path of paths) {
    const capture = await readCapture(path);
    captures.push(capture);
    for (const rule of opts.rules) {
      for (const draft of rule.check({ capture, nodePortRange: opts.nodePortRange })) {
        findings.push(completeFinding(rule, draft, { capture: capture.source }));
      }
    }
  }
  // Every capture rule judges connection attempts: a capture without a SYN leaves them nothing to judge,
  // and that must read as "not checked", never as "No problems found".
  const judged = captures.filter((c) => c.attempts > 0);
  if (judged.length === 0) throw new NothingToJudgeError(nothingToJudge(captures));
  const skipped = captures
    .filter((c) => c.attempts === 0)
    .flatMap((c) => opts.rules.map((r) => ({ rule: r.id, reason: nothingToJudge([c]) })));
  return buildReport({ kind: 'pcap', name: paths.map((p) => (p === '-' ? 'stdin' : p)).join(', ') }, findings, {
    skipped,
    problems: [
      ...captures
        .filter((c) => c.truncatedBytes > 0)
        .map((c) => ({
          artefact: c.source,
          reason: `the last ${c.truncatedBytes} bytes are a packet cut short (tcpdump stopped mid-write); analysed up to there`,
        })),
      ...captures
        .filter((c) => c.untrackedPackets > 0)
        .map((c) => ({
          artefact: c.source,
          reason: `more than ${MAX_LIVE_FLOWS.toLocaleString('en')} connections were live at once: ${c.untrackedPackets} packets of newer ones were counted but not followed, so handshakes among them are not judged`,
        })),
    ],
    context: { rules: opts.rules.length, captures: captures.map(captureSummary) },
  });
}

/** A capture could be read but holds no connection attempt for any capture rule to judge (exit 2). */
class NothingToJudgeError extends ToolError {}

function nothingToJudge(captures: CaptureFacts[]): string {
  const what = captures
    .map((c) =>
      c.tcpPackets === 0
        ? `${c.source} holds no TCP packets (${c.packets} packets read)`
        : `${c.source} holds no connection attempt (no SYN among ${c.tcpPackets} TCP packets: the connections began before the capture)`,
    )
    .join('; ');
  return `${what}; capture while the failure happens, from before the client connects (tcpdump -i any -w FILE tcp)`;
}

/** The capture's figures the report shows, without the per-attempt detail the rules used. */
function captureSummary(c: CaptureFacts): CaptureSummary {
  const { source, format, linkTypes, interfaces, packets, tcpPackets } = c;
  const { tuples, attempts, conversations, established, refused } = c;
  const seconds = c.firstUs !== undefined && c.lastUs !== undefined ? (c.lastUs - c.firstUs) / 1e6 : 0;
  const shape = { source, format, linkTypes, interfaces, packets, tcpPackets };
  return { ...shape, tuples, attempts, conversations, established, refused, seconds };
}

/** `netdoctor explain`: each line of a pasted message or log, against the catalogue of connection-failure messages. */
export async function explainText(args: string[]): Promise<Report> {
  const [{ TextExplainer }, { argumentLines, forEachStdinBlock, STDIN_NAME }] = await Promise.all([
    import('./explain/explained.js'),
    import('./sources/text.js'),
  ]);
  const explainer = new TextExplainer();
  const fromStdin = args.length === 1 && args[0] === '-';
  if (fromStdin)
    await forEachStdinBlock((block) => {
      explainer.pushBytes(block);
    });
  else explainer.pushBlock(argumentLines(args));
  explainer.assertText();
  const target = { kind: 'text' as const, name: fromStdin ? STDIN_NAME : 'argument' };
  return buildReport(target, [], {
    skipped: [],
    problems: [],
    input: { lines: explainer.lineCount, recognised: explainer.recognised, shown: explainer.explained.length },
    explanations: explainer.explained,
    unrecognised: explainer.unrecognised(),
  });
}

/** `netdoctor cluster --from-dump`: the cluster rules on recorded API objects. */
export async function analyzeClusterDump(
  paths: string[],
  opts: { rules: ClusterRule[]; nodePortRange?: PortRange },
): Promise<Report> {
  const { readClusterDump } = await import('./sources/cluster-dump.js');
  return judgeCluster(readClusterDump(paths), paths.join(', '), opts);
}

/** `netdoctor cluster`: the same rules on the objects read from the API with the user's kubeconfig. */
export async function analyzeClusterLive(opts: {
  kubeconfig?: string;
  context?: string;
  rules: ClusterRule[];
  nodePortRange?: PortRange;
}): Promise<Report> {
  const { loadKubeConfig } = await import('./sources/kube/client.js');
  const { readClusterLive } = await import('./sources/kube/cluster-live.js');
  const kc = loadKubeConfig(opts);
  return judgeCluster(await readClusterLive(kc), kc.getCurrentCluster()?.server ?? 'the cluster', opts);
}

async function judgeCluster(
  dump: { cluster: ClusterObjects; files: string[]; problems: { artefact: string; reason: string }[] },
  name: string,
  opts: { rules: ClusterRule[]; nodePortRange?: PortRange },
): Promise<Report> {
  const nodePorts = clusterNodePortRange(dump.cluster, opts.nodePortRange);
  const present = {
    Node: dump.cluster.nodes.length > 0,
    Service: dump.cluster.services.length > 0,
    DaemonSet: dump.cluster.daemonSets.length > 0,
    ConfigMap: dump.cluster.kubeProxyConfigs.length > 0,
  };
  const findings: Finding[] = [];
  const skipped: Report['skipped'] = [];
  let ran = 0;
  for (const rule of opts.rules) {
    const missing = rule.reads.filter((kind) => !present[kind]);
    if (missing.length > 0) {
      skipped.push({
        rule: rule.id,
        reason: `no ${missing.join(' or ')} objects in the dump (kubectl get ${missing.map((k) => ({ Node: 'nodes', Service: 'services -A', DaemonSet: 'daemonsets -A', ConfigMap: 'configmap -n kube-system kube-proxy' })[k]).join(', ')} -o json > DIR/….json)`,
      });
      continue;
    }
    const ctx = { cluster: dump.cluster, nodePortRange: nodePorts.range, nodePortRangeFrom: nodePorts.from };
    const cannot = rule.notChecked?.(ctx);
    if (cannot !== undefined) {
      skipped.push({ rule: rule.id, reason: cannot });
      continue;
    }
    ran++;
    for (const draft of rule.check(ctx)) findings.push(completeFinding(rule, draft, {}));
  }
  if (ran === 0)
    throw new NothingToJudgeError(
      `nothing to judge in ${name}: ${dump.files.length} JSON file(s) read, ${dump.cluster.nodes.length} Nodes and ${dump.cluster.services.length} Services found${dump.problems.length > 0 ? `; ${dump.problems.map((p) => `${p.artefact}: ${p.reason}`).join('; ')}` : ''}. Dump with: kubectl get nodes -o json > DIR/nodes.json; kubectl get services,daemonsets -A -o json > DIR/objects.json; kubectl get configmap -n kube-system kube-proxy -o json > DIR/kube-proxy.json`,
    );
  return buildReport({ kind: 'cluster', name }, sortFindings(findings), {
    skipped,
    problems: dump.problems,
    context: { rules: opts.rules.length, files: dump.files.length, nodes: dump.cluster.nodes.map((n) => n.name) },
    notes: [`NodePort range ${formatRange(nodePorts.range)}: ${nodePorts.from}`],
  });
}

/** The NodePort range: as given, else kube-apiserver's flag (its static pod), else the default — and which. */
function clusterNodePortRange(
  cluster: ClusterObjects,
  given: PortRange | undefined,
): { range: PortRange; from: string } {
  if (given) return { range: given, from: '--nodeport-range' };
  for (const api of cluster.apiServers) {
    if (api.nodePortRangeFlag === undefined) continue;
    try {
      return {
        range: parsePortRange(api.nodePortRangeFlag, `${api.name} --service-node-port-range`),
        from: `${api.name}: --service-node-port-range=${api.nodePortRangeFlag} (${api.source})`,
      };
    } catch {
      // a flag that does not parse: the API server would not have started with it; the default stands
    }
  }
  const seen = cluster.apiServers[0];
  return {
    range: DEFAULT_NODEPORT_RANGE,
    from: seen
      ? `the default 30000-32767 (${seen.name} sets no --service-node-port-range)`
      : 'the default 30000-32767 (no kube-apiserver pod visible: a managed control plane, or not listed; --nodeport-range sets it)',
  };
}

/** `netdoctor node NODE…` from outside the cluster: a collector pod per node, the bundles analysed here. */
/** What `node NODE…` and `pod NS/NAME` share: how to reach the API, the collector pod, what to judge. */
interface RemoteCollection {
  kubeconfig?: string;
  context?: string;
  image: string;
  timeoutMs: number;
  keepBundles?: string;
  rules: NodeRule[];
  nodePortsFlag?: string;
  progress?: (node: string, state: string) => void;
  signal: AbortSignal;
}

export async function diagnoseRemoteNodes(
  opts: RemoteCollection & {
    nodes: string[];
    allNodes?: boolean;
    selector?: string;
    namespace: string;
    concurrency: number;
  },
): Promise<Report> {
  const { loadKubeConfig } = await import('./sources/kube/client.js');
  const { collectRemote, listNodes, explainApiError } = await import('./sources/kube/remote-node.js');
  const { makeTempDir } = await import('./sources/fs/temp-dirs.js');
  const kc = loadKubeConfig(opts);
  let nodes = opts.nodes;
  if (opts.allNodes || opts.selector) {
    try {
      nodes = [...new Set([...nodes, ...(await listNodes(kc, opts.selector))])];
    } catch (e) {
      throw new NothingToJudgeError(explainApiError(e, 'listing nodes', opts.namespace));
    }
  }
  if (nodes.length === 0)
    throw new NothingToJudgeError(`no node matched${opts.selector ? ` -l ${opts.selector}` : ''}`);
  const tmp = opts.keepBundles ? undefined : await makeTempDir('netdoctor-remote-');
  const dir = opts.keepBundles ?? tmp?.dir ?? '.';
  try {
    const results: Awaited<ReturnType<typeof collectRemote>>[] = [];
    let next = 0;
    const worker = async () => {
      while (next < nodes.length && !opts.signal.aborted) {
        const node = nodes[next++];
        if (node === undefined) break;
        results.push(
          await collectRemote(
            kc,
            node,
            { namespace: opts.namespace, image: opts.image, timeoutMs: opts.timeoutMs, dir, progress: opts.progress },
            opts.signal,
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, nodes.length) }, worker));
    const failed = results.filter((r): r is { node: string; error: string } => 'error' in r);
    const bundles = results.filter((r): r is { node: string; bundle: string } => 'bundle' in r).map((r) => r.bundle);
    if (bundles.length === 0)
      throw new NothingToJudgeError(
        `no node could be collected: ${failed.map((f) => `${f.node}: ${f.error}`).join('; ')}`,
      );
    const report = await analyzeBundles(bundles.sort(), { rules: opts.rules, nodePortsFlag: opts.nodePortsFlag });
    report.target = { kind: 'node', name: nodes.join(', ') };
    report.problems.push(...failed.map((f) => ({ artefact: `node/${f.node}`, reason: f.error })));
    return report;
  } finally {
    await tmp?.remove();
  }
}

/**
 * `netdoctor pod NS/NAME`: the pod's node is collected as `node NODE` would, and the report is about the
 * pod — its own namespace's findings first, then the node's (Service rules, NodePorts, IPVS reach every pod),
 * other pods' findings left out (and counted).
 */
export async function diagnoseRemotePod(
  opts: RemoteCollection & { namespace: string; name: string; collectorNamespace: string },
): Promise<Report> {
  const { loadKubeConfig } = await import('./sources/kube/client.js');
  const { readPod, explainApiError } = await import('./sources/kube/remote-node.js');
  const kc = loadKubeConfig(opts);
  let pod;
  try {
    pod = await readPod(kc, opts.namespace, opts.name);
  } catch (e) {
    throw new NothingToJudgeError(explainApiError(e, `reading pod ${opts.namespace}/${opts.name}`, opts.namespace));
  }
  if (!pod.nodeName) throw new NothingToJudgeError(`pod ${opts.namespace}/${opts.name} is not scheduled on a node yet`);
  const report = await diagnoseRemoteNodes({
    ...opts,
    nodes: [pod.nodeName],
    namespace: opts.collectorNamespace,
    concurrency: 1,
  });
  return focusOnPod(report, { ...pod, namespace: opts.namespace, name: opts.name });
}

/** The report of a node, about one pod of it: see diagnoseRemotePod. */
function focusOnPod(
  report: Report,
  pod: { namespace: string; name: string; uid?: string; nodeName?: string; hostNetwork?: boolean },
): Report {
  const podNetns = pod.hostNetwork ? 'host' : pod.uid;
  const known = report.coverage?.targets.some((t) => t.netns === podNetns) ?? false;
  const own = report.findings.filter((f) => podNetns !== undefined && f.subject.netns === podNetns);
  const node = report.findings.filter((f) => f.subject.netns === 'host' && !own.includes(f));
  const others = report.findings.length - own.length - node.length;
  const notes = [...(report.notes ?? [])];
  if (!known)
    notes.unshift(
      `pod ${pod.namespace}/${pod.name} (uid ${pod.uid ?? '?'}): its network namespace was not found on ${pod.nodeName ?? 'its node'} (not running, or not identified): only the node's findings are shown`,
    );
  if (others > 0)
    notes.push(
      `${others} finding${others === 1 ? '' : 's'} about other pods of ${pod.nodeName ?? 'the node'} not shown (netdoctor node ${pod.nodeName ?? ''} shows them)`,
    );
  return {
    ...report,
    target: { kind: 'node', name: `pod ${pod.namespace}/${pod.name} on ${pod.nodeName ?? '?'}` },
    findings: [...own, ...node],
    summary: summarize([...own, ...node]),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** `netdoctor trace`: where a new connection to `to` goes through each iptables backend of the node's namespace. */
export async function traceConnection(opts: {
  paths: string[];
  netns: NetnsSelection;
  packet: Packet;
  origin: WalkOptions['origin'];
  localAddresses?: Set<string>;
  /** the interface an arriving packet comes in on */
  inInterface?: string;
  timeoutMs?: number;
}): Promise<TraceResult> {
  let facts: NodeFacts;
  // loose files: a rule's source is the user's file name, not the bundle slot it was filed in
  let names = new Map<string, string>();
  if (opts.paths.length > 0) {
    const builder = new FactsBuilder({
      target: { kind: 'bundle', name: opts.paths.join(', ') },
      byteOrder: 'LE',
      nodePorts: nodePortsFrom(undefined),
    });
    const bundles = opts.paths.filter(isBundlePath);
    if (bundles.length > 1 || (bundles.length === 1 && opts.paths.length > 1))
      throw new NothingToJudgeError('trace reads one bundle, or loose files of one machine');
    const bundle = bundles[0];
    if (bundle !== undefined) {
      const opened = await openBundle(bundle);
      try {
        await replayBundle(opened.dir, await readManifest(opened.dir), builder);
      } finally {
        await opened.cleanup();
      }
    } else names = (await replayLooseFiles(opts.paths, undefined, builder)).names;
    facts = builder.facts();
  } else {
    facts = (
      await judgeNode({
        netns: opts.netns,
        intervalMs: 0,
        nodePorts: nodePortsFrom(undefined),
        rules: [],
        timeoutMs: opts.timeoutMs,
      })
    ).facts;
  }
  const host = facts.netns.find((n) => n.meta.isHost) ?? facts.netns[0];
  const saves = Object.entries(host?.iptables ?? {}).filter(([name]) =>
    name.startsWith(opts.packet.dst.includes(':') ? 'ip6' : 'iptables'),
  );
  const { walk } = await import('./trace/walk.js');
  const { ipvsStep } = await import('./trace/ipvs.js');
  const { routeFor, localAddresses } = await import('./trace/route.js');
  const ipvs = host ? ipvsStep(host, opts.packet) : undefined;
  if (saves.length === 0 && !ipvs)
    throw new NothingToJudgeError(
      `no iptables-save output was read${
        host
          ? `: ${
              [...host.problems.entries()]
                .filter(([k]) => k.includes('save'))
                .map(([k, v]) => `${k}: ${v}`)
                .join('; ') || 'none in the input'
            }`
          : ''
      }`,
    );
  // routes of the packet's family only: an `ip route` file says nothing about IPv6 destinations
  const family = opts.packet.dst.includes(':') ? 6 : 4;
  const routes = host?.routes?.routes.some((r) => r.family === family) ? host.routes : undefined;
  const route = (dst: string) => (routes ? routeFor(routes, dst, dst !== opts.packet.dst) : undefined);
  const walkOptions: WalkOptions = {
    origin: opts.origin,
    // the node's addresses: as given, else its local routes
    localAddresses: opts.localAddresses ?? (routes ? localAddresses(routes) : undefined),
    ...(host?.ipsets ? { ipsets: host.ipsets } : {}),
    ...(routes ? { outInterface: (dst: string) => route(dst)?.route?.dev } : {}),
    ...(opts.inInterface !== undefined ? { inInterface: opts.inInterface } : {}),
  };
  const named = (source: string) =>
    source
      .split(', ')
      .map((s) => names.get(s) ?? s)
      .join(', ');
  const notRead = (file: string) => host?.problems.get(file) ?? (host ? 'not in the input' : 'no namespace read');
  return {
    packet: opts.packet,
    origin: opts.origin,
    ...(ipvs ? { ipvs } : {}),
    // files given that were not used: said, never dropped in silence
    inputsNotRead: [...facts.problems].filter(([k]) => k.startsWith('loose/')).map(([, reason]) => reason),
    routes: routes
      ? { source: named(routes.source) }
      : {
          notRead: host?.routes
            ? `no IPv${family} routes in ${named(host.routes.source)}`
            : notRead(family === 6 ? 'ip6-route' : 'ip-route'),
        },
    ipsets: host?.ipsets
      ? { source: named(host.ipsets.source), sets: host.ipsets.sets.size }
      : { notRead: notRead('ipset-save') },
    backends: saves.map(([save, ruleset]) => ({
      save,
      source: names.get(ruleset.source) ?? ruleset.source,
      kubeChains: [...(ruleset.tables.get('nat')?.chains.keys() ?? [])].filter((c) => c.startsWith('KUBE-')).length,
      leaves: walk(ruleset, opts.packet, walkOptions).map((l) => {
        const r = l.verdict.kind === 'accepted' ? route(l.packet.dst) : undefined;
        return r ? { ...l, route: r.route ? { ...r, route: { ...r.route, source: named(r.route.source) } } : r } : l;
      }),
    })),
  };
}

export interface TraceResult {
  packet: Packet;
  origin: WalkOptions['origin'];
  /** the IPVS virtual service the destination is, when it is one (kube-proxy's IPVS mode) */
  ipvs?: IpvsStep;
  /** input files that could not be used, each with its reason */
  inputsNotRead: string[];
  /** the routing table the last hop was looked up in, or why there was none */
  routes: { source: string } | { notRead: string };
  /** the sets -m set rules were decided from, or why they were not (then such rules are followed both ways) */
  ipsets: { source: string; sets: number } | { notRead: string };
  backends: { save: string; source: string; kubeChains: number; leaves: (Leaf & { route?: RouteAnswer })[] }[];
}
