/**
 * The agent's socket tables between ticks (see facts/socket-walk.ts for when a table may be reused). The
 * raw bytes are kept with what the facts builder made of them (its scan is reused too). Bounded: at most
 * MAX_BYTES in all; a namespace whose tables do not fit is walked every tick. An entry is re-read after
 * MAX_AGE ticks whatever the counts say, and dropped when its namespace is gone.
 */
import { mustWalk, type SocketLoad } from '../../facts/socket-walk.js';
import type { ScanMemo } from '../../facts/sink.js';
import type { NetnsMeta } from '../../facts/types.js';

const MAX_BYTES = 32 * 1024 * 1024;
/**
 * 30 ticks (15 minutes at 30 s). The verdicts do not need it — a table is reused only while the counts show no
 * rule could fire on it — but the port-use metric and the evidence lines of a quiet pod would otherwise be
 * as old as the pod. Each entry starts at its own age (`staggered`), so the walks spread over the ticks.
 */
const MAX_AGE = 30;
const MAX_KEPT_TEXT = 1024 * 1024;

type Tables = Map<'tcp' | 'tcp6', Buffer[]>;

/** The same texts (the cadence hands back the same strings; a re-read compares by content). */
function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A first age in [0, every) fixed by the namespace's id: the namespaces of a node, all read at the agent's
 * first tick, come due on different ticks after it — a tenth of them per tick, not all of them every tenth.
 */
function staggered(id: string, every: number): number {
  let h = 2166136261; // FNV-1a: spread, stable between runs
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % every;
}

interface Entry {
  /** the bytes, until the facts builder has kept its scan of them (then undefined: the scan is what is reused) */
  files: Tables | undefined;
  /** what the facts builder made of `files`: reused ticks skip the scan too */
  memo: ScanMemo;
  /** what the scan depended on besides the bytes (sysctls, iptables saves): changed, the tables are read again */
  inputs: readonly string[];
  bytes: number;
  load: SocketLoad;
  age: number;
}

export class SocketTableCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private seen = new Set<string>();
  /** namespaces walked and reused in the last tick: for the agent's log and the benchmark */
  walked = 0;
  reused = 0;

  beginTick(): void {
    this.seen = new Set();
    this.walked = 0;
    this.reused = 0;
  }

  /**
   * The tables to replay for this namespace, or undefined: read them (and `remember` them). `force` (its
   * listen counters moved: the accept queues in the tables matter now) reads them whatever the counts say.
   */
  reusable(
    id: string,
    load: SocketLoad,
    inputs: readonly string[],
    force = false,
  ): { files: Tables | undefined; memo: ScanMemo } | undefined {
    this.seen.add(id);
    const e = this.entries.get(id);
    if (!e || force || e.memo.stale || e.age + 1 >= MAX_AGE || mustWalk(load, e.load) || !same(inputs, e.inputs)) {
      this.walked++;
      return undefined;
    }
    if (e.memo.scanned && e.files) {
      // scanned and kept: the bytes are not needed again (a changed input is a new walk, not a new scan)
      this.bytes -= e.bytes;
      e.bytes = 0;
      e.files = undefined;
    }
    e.age++;
    this.reused++;
    return e;
  }

  remember(id: string, files: Tables, load: SocketLoad, inputs: readonly string[]): void {
    const again = this.entries.has(id); // a re-read starts its count at 0; only a first read is staggered
    this.forget(id);
    const bytes = [...files.values()].flat().reduce((n, b) => n + b.length, 0);
    if (this.bytes + bytes > MAX_BYTES) return;
    this.entries.set(id, { files, memo: {}, inputs, bytes, load, age: again ? 0 : staggered(id, MAX_AGE) });
    this.bytes += bytes;
  }

  /** Drops the entries of namespaces this tick did not see (pods that went away). */
  endTick(): void {
    for (const id of [...this.entries.keys()]) if (!this.seen.has(id)) this.forget(id);
  }

  private forget(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.bytes -= e.bytes;
    this.entries.delete(id);
  }
}

/**
 * A pod's slow-changing artefacts — its sysctls and iptables saves — read through a process each (nsenter),
 * re-read every `every` ticks and reused in between: forking the agent 200 times a tick costs more than
 * everything it reads. A pod's sysctls and rules are set when its sandbox starts (safe sysctls, a mesh's init
 * container); changing them later takes a privileged container, and is seen at the next re-read. Listener
 * tables are read on demand only: when the namespace's listen counters moved (listen-queue-overflow names
 * the listener from them), and the first time. The node's own artefacts are read every tick, but for the
 * `iptables -V` and journald reads the caller sends through here.
 */
export class ArtefactCadence {
  private readonly texts = new Map<string, { text: string; age: number }>();
  private readonly listenCounts = new Map<string, string>();
  private readonly identities = new Map<string, { who: Promise<Partial<NetnsMeta>>; seen: boolean }>();
  private seen = new Set<string>();
  reads = 0;
  reuses = 0;

  constructor(private readonly every = 10) {}

  beginTick(): void {
    this.seen = new Set();
    this.reads = 0;
    this.reuses = 0;
    for (const e of this.identities.values()) e.seen = false;
  }

  /** Who lives in a namespace (its pod), asked once per namespace and process. */
  identity(key: string, ask: () => Promise<Partial<NetnsMeta>>): Promise<Partial<NetnsMeta>> {
    const known = this.identities.get(key) ?? { who: ask(), seen: true };
    known.seen = true;
    this.identities.set(key, known);
    return known.who;
  }

  /**
   * The text of `artefact` for namespace `id`: reused when young enough (or, `onDemand`, until `fresh`),
   * else read (and kept).
   */
  async text(
    id: string,
    artefact: string,
    read: () => Promise<string>,
    fresh = false,
    onDemand = false,
  ): Promise<string> {
    const key = `${id}\0${artefact}`;
    this.seen.add(key);
    const kept = this.texts.get(key);
    if (kept && !fresh && (onDemand || kept.age + 1 < this.every)) {
      kept.age++;
      this.reuses++;
      return kept.text;
    }
    this.reads++;
    const text = await read();
    // a pod with an outsized ruleset is re-read every tick rather than kept: memory stays bounded
    if (text.length <= MAX_KEPT_TEXT) this.texts.set(key, { text, age: kept ? 0 : staggered(id, this.every) });
    else this.texts.delete(key);
    return text;
  }

  /** True when the pod's ListenOverflows/ListenDrops differ from the last tick's (its listeners must be read). */
  listenCountersMoved(id: string, netstat: string): boolean {
    const [header, row] = netstat
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'))
      .map((l) => l.split(/\s+/));
    const pick = ['ListenOverflows', 'ListenDrops'].map((k) => row?.[header?.indexOf(k) ?? -1] ?? '?').join(',');
    const before = this.listenCounts.get(id);
    this.listenCounts.set(id, pick);
    return before !== pick;
  }

  endTick(): void {
    for (const [key, e] of [...this.identities]) if (!e.seen) this.identities.delete(key);
    for (const key of [...this.texts.keys()]) if (!this.seen.has(key)) this.texts.delete(key);
    for (const id of [...this.listenCounts.keys()])
      if (![...this.seen].some((k) => k.startsWith(`${id}\0`))) this.listenCounts.delete(id);
  }
}
