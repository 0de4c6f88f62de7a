import { ToolError } from '../../model/errors.js';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { COUNTER_FILES, type ArtefactSink } from '../../facts/sink.js';
import { IPTABLES_SAVES, type NetnsMeta } from '../../facts/types.js';
import { COLLECTED_SYSCTLS } from '../../knowledge/sysctls.js';
import { TOOL_NAME, TOOL_VERSION } from '../package-info.js';
import { identify } from './identify.js';
import { requireReadableFile } from '../fs/require-file.js';
import { describeKubeProxy, findKubeProxyLog, journalOf, tailFile } from './kube-proxy.js';
import { nsenterReader, output, procNetText, selfReader, succeed, type NetnsReader } from './netns-reader.js';
import { CommandError, commandExists, setDeadline } from './run.js';
import { discoverNetns, namedNetns, netnsInode } from './netns.js';
import type { ArtefactCadence, SocketTableCache } from './socket-cache.js';
import { knownEmpty, socketLoad, type SocketLoad } from '../../facts/socket-walk.js';
import { ephemeralPorts } from '../../facts/ephemeral.js';
import { parseSysctls, sysctlNumber } from '../../parsers/sysctl.js';
import { parseSockstat } from '../../parsers/proc-net-counters.js';

export type NetnsSelection = { kind: 'self'; asNode?: boolean } | { kind: 'all' } | { kind: 'list'; items: string[] };

interface NodeCollectOptions {
  netns: NetnsSelection;
  intervalMs: number;
  nodePortRange?: string;
  nodePortRangeOrigin?: string;
  procRoot?: string;
  /** kube-proxy's log file; default: found under /var/log/pods, /var/log/containers or in journald */
  kubeProxyLog?: string;
  /** one deadline for every command of the collection (ms from its start); what is not done by then is a problem */
  timeoutMs?: number;
  /**
   * the agent's memory between ticks: a pod's socket tables are re-read only when they could change a
   * verdict, its sysctls, iptables saves and listeners at a lower cadence (sources/host/socket-cache.ts)
   */
  memory?: TickMemory;
}

interface Target {
  meta: NetnsMeta;
  reader: NetnsReader;
}

class NothingToCollectError extends ToolError {}

function describeError(e: unknown): string {
  const err = e as Partial<NodeJS.ErrnoException>; // e may be anything thrown, not an Error
  if (err.code === 'ENOENT' || err.code === 'ESRCH')
    return 'not found (the namespace or its process went away, or the kernel lacks it)';
  if (err.code === 'EACCES' || err.code === 'EPERM') return `permission denied (${err.message}); run as root`;
  return err.message ?? String(e);
}

/**
 * Whether the namespace this process runs in is the node's own. The kernel registers some net.core
 * sysctls in the initial namespace only (net/core/sysctl_net_core.c, net_core_table): their presence in
 * /proc/sys (which always shows the reader's namespace) answers it, also inside a pod whose PID 1 is not
 * the node's. Where /proc/sys/net/core is unreadable, compare with PID 1's namespace.
 */
async function selfIsInitialNetns(procRoot: string, selfInode: number | undefined): Promise<boolean> {
  const core = `${procRoot}/sys/net/core`;
  try {
    const names = new Set(await readdir(core));
    if (names.has('somaxconn')) return INITIAL_NETNS_ONLY.some((n) => names.has(n));
  } catch {
    // fall through to PID 1
  }
  const init = await netnsInode(`${procRoot}/1/ns/net`);
  return init === undefined || init === selfInode;
}

/** net.core sysctls no namespace but the first has (Linux 2.6 to 6.18 alike). */
const INITIAL_NETNS_ONLY = ['netdev_max_backlog', 'message_cost', 'dev_weight'];

async function resolveTargets(
  sel: NetnsSelection,
  procRoot: string,
  memory?: TickMemory,
): Promise<{ targets: Target[]; problems: { path: string; reason: string }[]; notes: string[] }> {
  const problems: { path: string; reason: string }[] = [];
  const notes: string[] = [];
  const selfInode = await netnsInode(`${procRoot}/self/ns/net`);
  const self = { meta: { id: 'host', isHost: true, inode: selfInode } as NetnsMeta, reader: selfReader(procRoot) };
  if (sel.kind === 'self') {
    if (!sel.asNode && !(await selfIsInitialNetns(procRoot, selfInode))) {
      self.meta = { id: selfInode !== undefined ? `netns-${selfInode}` : 'self', isHost: false, inode: selfInode };
      notes.push(
        "--netns self: this is not the node's own network namespace (the kernel shows none of the sysctls only the first namespace has), so it is judged as a pod's, and node-level rules are not checked; pass --as-node to judge it as a node",
      );
    }
    if (process.getuid?.() !== 0) notes.push(await nonRootNote(procRoot, selfInode));
    return { targets: [self], problems, notes };
  }
  const hostInode = (await netnsInode(`${procRoot}/1/ns/net`)) ?? self.meta.inode;
  const found = sel.kind === 'all' ? await discoverNetns(procRoot) : [];
  if (sel.kind === 'list') {
    for (const item of sel.items) {
      if (/^\d+$/.test(item)) {
        const inode = await netnsInode(`${procRoot}/${item}/ns/net`);
        if (inode === undefined) {
          problems.push({
            path: `netns/pid-${item}`,
            reason: `pid ${item}: no such process, or its namespace is not readable (run as root)`,
          });
          continue;
        }
        found.push({ inode, nsPath: `${procRoot}/${item}/ns/net`, pids: [Number(item)] });
      } else {
        const named = await namedNetns(item);
        if (!named) {
          problems.push({ path: `netns/${item}`, reason: `no network namespace named "${item}" in /run/netns` });
          continue;
        }
        found.push(named);
      }
    }
  }
  const targets: Target[] = [];
  const seen = new Set<number>();
  for (const ns of found) {
    if (seen.has(ns.inode)) continue;
    seen.add(ns.inode);
    const isHost = ns.inode === hostInode;
    // the agent asks once per namespace and first process: who lives there does not change under it
    const who =
      ns.pids.length > 0
        ? await (memory?.artefacts.identity(`${ns.inode}:${ns.pids[0]}`, () => identify(ns.pids, procRoot)) ??
            identify(ns.pids, procRoot))
        : {};
    const meta: NetnsMeta = {
      ...who,
      id: isHost ? 'host' : (who.podUid ?? `netns-${ns.inode}`),
      isHost,
      inode: ns.inode,
      name: ns.name,
      pid: ns.pids[0],
    };
    const reader = ns.inode === selfInode ? selfReader(procRoot) : nsenterReader(ns.nsPath, ns.pids[0], procRoot);
    targets.push({ meta, reader });
  }
  // Two sandboxes of one pod cannot share an id; keep ids unique and stable.
  const ids = new Map<string, number>();
  for (const t of targets) {
    const n = ids.get(t.meta.id) ?? 0;
    ids.set(t.meta.id, n + 1);
    if (n > 0) t.meta.id = `${t.meta.id}-${t.meta.inode}`;
  }
  targets.sort((a, b) => Number(b.meta.isHost) - Number(a.meta.isHost));
  return { targets, problems, notes };
}

/** Without root only the tool's own namespace is read: say so, with how many others this user can see. */
async function nonRootNote(procRoot: string, selfInode: number | undefined): Promise<string> {
  const others = (await discoverNetns(procRoot).catch(() => [])).filter((n) => n.inode !== selfInode).length;
  const seen =
    others > 0
      ? `${others} other network namespace${others === 1 ? ' is' : 's are'} visible to this user, and more may exist`
      : 'other namespaces (pods) cannot be seen without root';
  return `not root: only this process's own network namespace was read; ${seen}. Run as root (sudo netdoctor node) to read every pod's namespace, the iptables rules and kube-proxy's log.`;
}

/** The first sample's counter texts, by file ("proc/net/netstat"): the tick reads each file once. */
type CounterTexts = Map<string, string>;

async function readCounters(sink: ArtefactSink, t: Target, prefix: string): Promise<CounterTexts> {
  const texts: CounterTexts = new Map();
  for (const file of COUNTER_FILES) {
    const path = `netns/${t.meta.id}/${prefix}${file}`;
    try {
      const text = await procNetText(t.reader, file.slice('proc/net/'.length));
      texts.set(file, text);
      sink.text(path, text);
    } catch (e) {
      sink.failed(path, describeError(e));
    }
  }
  return texts;
}

interface TickMemory {
  sockets: SocketTableCache;
  artefacts: ArtefactCadence;
}

/** A pod's artefact through the agent's cadence; the node's own, and everything outside the agent, read fresh. */
function slow(t: Target, memory: TickMemory | undefined, artefact: string, read: () => Promise<string>, fresh = false) {
  return memory && !t.meta.isHost ? memory.artefacts.text(t.meta.id, artefact, read, fresh) : read();
}

async function readNetns(
  sink: ArtefactSink,
  t: Target,
  memory: TickMemory | undefined,
  counters: CounterTexts,
): Promise<void> {
  const base = `netns/${t.meta.id}`;
  let sysctlText: string | undefined;
  try {
    sysctlText = await slow(t, memory, 'sysctl.txt', () => t.reader.sysctls(COLLECTED_SYSCTLS));
    sink.text(`${base}/sysctl.txt`, sysctlText);
  } catch (e) {
    sink.failed(`${base}/sysctl.txt`, describeError(e));
  }
  const rules = await readIptables(sink, t, memory); // before the socket tables, as in NETNS_FILES
  // listen counters that moved: the listeners and their accept queues are read now, whatever the cadence says
  const moved = memory ? listenCountersMoved(t, memory, counters) : true;
  const view =
    memory && sysctlText !== undefined ? { sysctlText, counters, moved, inputs: [sysctlText, ...rules] } : undefined;
  await readSocketTables(sink, t, memory?.sockets, view);
  try {
    // read when the listen counters moved (the node's too): only listen-queue-overflow names a listener
    const listeners = () => t.reader.listeners();
    const text = memory ? memory.artefacts.text(t.meta.id, 'ss-ltn', listeners, moved, true) : listeners();
    sink.text(`${base}/ss-ltn`, await text);
  } catch (e) {
    sink.failed(`${base}/ss-ltn`, describeError(e));
  }
  if (t.meta.isHost) await readIpvs(sink, t, '');
  // only `netdoctor trace` reads these: one-shot collections keep them, the agent's ticks do not pay for them
  if (t.meta.isHost && !memory) await readRoutesAndSets(sink, t);
}

/** What the agent knows before reading a namespace's socket tables. */
interface AgentView {
  sysctlText: string;
  counters: CounterTexts;
  /** its listen counters moved since the last tick */
  moved: boolean;
  /** what its socket scan depends on besides the bytes: port range and reserved ports, NodePorts in its rules */
  inputs: readonly string[];
}

/**
 * /proc/net/tcp and tcp6 of a namespace. In the agent (`agent` given), a table its sockstat counts show empty
 * is not walked (facts/socket-walk.ts, knownEmpty), and a pod's tables are reused from an earlier tick when
 * its counts show they cannot change a verdict (mustWalk) — the facts builder then reuses its scan too. The
 * node's own namespace is never reused (source-port-is-nodeport looks for one socket).
 */
async function readSocketTables(
  sink: ArtefactSink,
  t: Target,
  cache: SocketTableCache | undefined,
  agent: AgentView | undefined,
): Promise<void> {
  const base = `netns/${t.meta.id}`;
  const load = agent ? await loadOf(t, agent) : undefined;
  const pod = cache && !t.meta.isHost ? cache : undefined;
  const reused = load && agent && pod?.reusable(t.meta.id, load, agent.inputs, agent.moved);
  if (reused && sink.reuseSocketTables) {
    sink.reuseSocketTables(t.meta.id, reused.files, reused.memo);
    return;
  }
  const kept = new Map<'tcp' | 'tcp6', Buffer[]>();
  for (const [file, family] of [
    ['tcp', 4],
    ['tcp6', 6],
  ] as const) {
    const path = `${base}/proc/net/${file}`;
    const old = reused?.files?.get(file);
    const chunks: Buffer[] = [];
    kept.set(file, chunks);
    if (old || (load && knownEmpty(load, family))) {
      // an earlier tick's bytes, or none: the kernel counts no socket of this family
      const w = sink.stream(path);
      for (const c of old ?? []) w.push(c);
      w.end();
      continue;
    }
    await streamInto(
      sink,
      path,
      (w) =>
        t.reader.procNet(file, (c) => {
          if (pod) chunks.push(Buffer.from(c));
          w(c);
        }),
      (e) =>
        file === 'tcp6' && (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'not present (IPv6 disabled)'
          : describeError(e),
    );
  }
  if (load && agent && pod && !reused) pod.remember(t.meta.id, kept, load, agent.inputs);
}

/** What sockstat says this namespace's tables can hold at most; undefined when it cannot be read. */
async function loadOf(t: Target, agent: AgentView): Promise<SocketLoad | undefined> {
  try {
    const sysctls = parseSysctls(agent.sysctlText);
    const v4 = agent.counters.get('proc/net/sockstat') ?? (await procNetText(t.reader, 'sockstat'));
    const v6 = await procNetText(t.reader, 'sockstat6').catch(() => undefined);
    return socketLoad(
      parseSockstat(v4, 'sockstat'),
      v6 === undefined ? undefined : parseSockstat(v6, 'sockstat6'),
      ephemeralPorts(sysctls).usable,
      sysctlNumber(sysctls, 'net.ipv4.tcp_max_tw_buckets'),
    );
  } catch {
    return undefined; // unreadable counts: read the tables
  }
}

/** Whether the namespace's ListenOverflows/ListenDrops moved since the last tick (unreadable: assume so). */
function listenCountersMoved(t: Target, memory: TickMemory, counters: CounterTexts): boolean {
  const netstat = counters.get('proc/net/netstat');
  return netstat === undefined || memory.artefacts.listenCountersMoved(t.meta.id, netstat);
}

/** Each backend's save, into the sink; returns the texts read (what the NodePorts a scan samples come from). */
async function readIptables(sink: ArtefactSink, t: Target, memory?: TickMemory): Promise<string[]> {
  const texts: string[] = [];
  for (const tool of IPTABLES_SAVES) {
    const path = `netns/${t.meta.id}/${tool}`;
    if (!(await commandExists(tool))) {
      sink.failed(path, `${tool} is not installed (Debian/Ubuntu: apt install iptables)`);
      continue;
    }
    if (await noLegacyTables(t, tool)) {
      // what the save would print: nothing (it lists the tables of /proc/net/ip_tables_names), without a process
      sink.text(path, '');
      continue;
    }
    try {
      const text = await slow(t, memory, tool, async () => {
        const r = await succeed(t.reader, [tool]);
        // iptables 1.8.9 prints "# Warning: iptables-legacy tables present …" on stderr, older ones on
        // stdout: keep it in the artefact either way, where users have always seen it.
        const warnings = r.stderr.split('\n').filter((l) => l.startsWith('# Warning'));
        return warnings.map((w) => w + '\n').join('') + r.stdout.toString('utf8');
      });
      texts.push(text);
      sink.text(path, text);
    } catch (e) {
      sink.failed(path, describeError(e));
    }
  }
  return texts;
}

/** The routes after the rules (both families) and the sets `-m set` rules match: the trace's last hop and its sets. */
async function readRoutesAndSets(sink: ArtefactSink, t: Target): Promise<void> {
  const base = `netns/${t.meta.id}`;
  for (const [file, argv] of [
    ['ip-route', ['ip', 'route', 'show', 'table', 'all']],
    ['ip6-route', ['ip', '-6', 'route', 'show', 'table', 'all']],
  ] as const) {
    try {
      sink.text(`${base}/${file}`, await output(t.reader, [...argv]));
    } catch (e) {
      sink.failed(`${base}/${file}`, describeError(e));
    }
  }
  if (!(await commandExists('ipset'))) {
    // kube-proxy brings its own ipset binary: the sets may exist although this host cannot list them
    sink.failed(`${base}/ipset-save`, 'ipset is not installed (Debian/Ubuntu: apt install ipset)');
    return;
  }
  try {
    sink.text(`${base}/ipset-save`, await output(t.reader, ['ipset', 'save']));
  } catch (e) {
    sink.failed(`${base}/ipset-save`, describeError(e));
  }
}

/**
 * A legacy save in a namespace without legacy tables prints nothing: its names file says so for the cost of
 * a read (the kernel lists the x_tables of this namespace), where the save costs a process.
 */
async function noLegacyTables(t: Target, tool: string): Promise<boolean> {
  const names = { 'iptables-legacy-save': 'ip_tables_names', 'ip6tables-legacy-save': 'ip6_tables_names' }[tool];
  if (!names || t.meta.pid === undefined) return false;
  try {
    return (await procNetText(t.reader, names)).trim() === '';
  } catch (e) {
    // no such file: the x_tables module is not loaded, so there are no legacy tables to save
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * The IPVS table and its connection entries (kube-proxy's IPVS mode lives in the host namespace): the proc
 * files, else ipvsadm. The connection table can hold millions of entries, so it is streamed.
 */
async function readIpvs(sink: ArtefactSink, t: Target, prefix: '' | 'later/'): Promise<void> {
  const base = `netns/${t.meta.id}/${prefix}`;
  try {
    sink.text(`${base}proc/net/ip_vs`, await procNetText(t.reader, 'ip_vs'));
    if (prefix === '') await streamInto(sink, `${base}proc/net/ip_vs_conn`, (w) => t.reader.procNet('ip_vs_conn', w));
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      sink.failed(`${base}proc/net/ip_vs`, describeError(e));
      return;
    }
  }
  if (!(await commandExists('ipvsadm'))) {
    // No /proc/net/ip_vs: the ip_vs module is not loaded, so nothing on this node uses IPVS.
    sink.absent(
      `${base}proc/net/ip_vs`,
      'no IPVS in this kernel (the ip_vs module is not loaded): kube-proxy does not run in IPVS mode here',
    );
    return;
  }
  try {
    sink.text(`${base}ipvsadm-Ln`, await output(t.reader, ['ipvsadm', '-Ln']));
    if (prefix === '') {
      await streamInto(sink, `${base}ipvsadm-Lnc`, (w) => succeed(t.reader, ['ipvsadm', '-Lnc'], w));
    }
  } catch (e) {
    sink.failed(`${base}ipvsadm-Ln`, describeError(e));
  }
}

/** A large artefact streamed into the sink as it is produced; a failure is recorded for its path. */
async function streamInto(
  sink: ArtefactSink,
  path: string,
  produce: (onChunk: (c: Buffer) => void) => Promise<unknown>,
  explain: (e: unknown) => string = describeError,
): Promise<void> {
  const w = sink.stream(path);
  try {
    await produce((c) => {
      w.push(c);
    });
    w.end();
  } catch (e) {
    w.end();
    sink.failed(path, explain(e));
  }
}

/** `iptables -V`, kube-proxy's process and its recent log: what the iptables rules are judged against. */
async function readKubeProxySide(sink: ArtefactSink, opts: NodeCollectOptions, procRoot: string): Promise<void> {
  // the agent asks the binary's version (a process every tick for a line that never changes) and, below, the
  // journal at its cadence (sources/host/socket-cache.ts); `fresh` reads now
  const memory = opts.memory;
  const cadenced = (artefact: string, read: () => Promise<string>, fresh = false) =>
    memory ? memory.artefacts.text('host', artefact, read, fresh) : read();
  try {
    sink.text(
      'host/iptables-version',
      await cadenced('iptables -V', () => output(selfReader(procRoot), ['iptables', '-V'])),
    );
  } catch (e) {
    sink.failed('host/iptables-version', describeError(e));
  }
  let running = true;
  try {
    const info = await describeKubeProxy(procRoot);
    if (info) sink.text('host/kube-proxy', info);
    else {
      running = false;
      sink.absent('host/kube-proxy', 'no kube-proxy process on this machine');
    }
  } catch (e) {
    sink.failed('host/kube-proxy', describeError(e));
  }
  try {
    const file = opts.kubeProxyLog ?? (await findKubeProxyLog());
    if (file) {
      sink.text('logs/kube-proxy.log', tailFile(file));
      return;
    }
    // while no kube-proxy process runs, its journal grows only by a restart (then there is a process, and
    // it is read at once): the agent asks it at its cadence, not every tick
    const journal = await cadenced('journal', readJournal, running);
    if (journal) {
      sink.text('logs/kube-proxy.log', journal);
      return;
    }
    const looked = 'looked in /var/log/pods/kube-system_kube-proxy-*, /var/log/containers/kube-proxy-* and journald';
    // No process and no log: kube-proxy does not run here (not a node, or a CNI replaces it).
    if (!running) {
      sink.absent('logs/kube-proxy.log', `no kube-proxy runs on this machine (no process; no log: ${looked})`);
      return;
    }
    sink.failed('logs/kube-proxy.log', `no kube-proxy log found (${looked}; pass --kube-proxy-log FILE)`);
  } catch (e) {
    sink.failed('logs/kube-proxy.log', `${opts.kubeProxyLog ?? 'kube-proxy log'}: ${describeError(e)}`);
  }
}

/** kube-proxy's journal ('' when journald has none, or there is no journalctl on this machine). */
async function readJournal(): Promise<string> {
  const text = await journalOf('kube-proxy').catch((e: unknown) => {
    if (e instanceof CommandError) return undefined;
    throw e;
  });
  return text ?? '';
}

/** Namespaces read at once: a hung one costs its own timeouts, not everyone else's turn. */
const NETNS_CONCURRENCY = 4;

/**
 * `work` for every item, at most NETNS_CONCURRENCY at a time. Each namespace's own artefacts stay in order
 * (sysctls before sockets); the sinks keep per-namespace state, so namespaces may interleave.
 */
async function eachBounded<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(NETNS_CONCURRENCY, items.length) }, worker));
}

/**
 * Collects everything `node` reads, into a sink. Counters are sampled first and again `intervalMs` later;
 * the slow part (socket tables) runs in between, so the interval costs little extra time.
 */
export async function collectNode(sink: ArtefactSink, opts: NodeCollectOptions): Promise<void> {
  const procRoot = opts.procRoot ?? '/proc';
  if (opts.kubeProxyLog !== undefined) requireReadableFile(opts.kubeProxyLog, '--kube-proxy-log');
  setDeadline(opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined);
  opts.memory?.sockets.beginTick();
  opts.memory?.artefacts.beginTick();
  const { targets, problems, notes } = await resolveTargets(opts.netns, procRoot, opts.memory);
  if (targets.length === 0)
    throw new NothingToCollectError(problems.map((p) => p.reason).join('; ') || 'no network namespace to read');
  for (const p of problems) sink.failed(p.path, p.reason);
  for (const t of targets) sink.netns(t.meta);

  sink.text('host/kernel-release', os.release() + '\n');
  try {
    sink.text('host/os-release', await readFile('/etc/os-release', 'utf8'));
  } catch (e) {
    sink.failed('host/os-release', describeError(e));
  }

  await readKubeProxySide(sink, opts, procRoot);

  const started = Date.now();
  const counters = new Map<Target, CounterTexts>();
  await eachBounded(targets, async (t) => {
    counters.set(t, await readCounters(sink, t, ''));
  });
  await eachBounded(targets, (t) => readNetns(sink, t, opts.memory, counters.get(t) ?? new Map<string, string>()));
  opts.memory?.sockets.endTick();
  opts.memory?.artefacts.endTick();
  let intervalMs = 0;
  if (opts.intervalMs > 0) {
    const wait = started + opts.intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    intervalMs = Date.now() - started;
    await eachBounded(targets, async (t) => {
      await readCounters(sink, t, 'later/');
    });
    for (const t of targets) if (t.meta.isHost) await readIpvs(sink, t, 'later/');
  }
  await sink.finish({
    tool: TOOL_NAME,
    version: TOOL_VERSION,
    createdAt: new Date(started).toISOString(),
    hostname: os.hostname(),
    intervalMs,
    byteOrder: os.endianness(),
    nodePortRange: opts.nodePortRange,
    nodePortRangeOrigin: opts.nodePortRangeOrigin,
    netns: targets.map((t) => t.meta),
    problems,
    ...(notes.length > 0 ? { notes } : {}),
  });
}
