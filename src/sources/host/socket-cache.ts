/**
 * The agent's socket tables between ticks (see facts/socket-walk.ts for when a table may be reused). The
 * raw bytes are kept and replayed into the sink, so the facts are built by the same scanner either way.
 * Bounded: at most MAX_BYTES in all; a namespace whose tables do not fit is walked every tick. An entry is
 * re-read after MAX_AGE ticks whatever the counts say, and dropped when its namespace is gone.
 */
import { mustWalk, type SocketLoad } from '../../facts/socket-walk.js';
import type { NetnsMeta } from '../../facts/types.js';

const MAX_BYTES = 32 * 1024 * 1024;
const MAX_AGE = 10;
const MAX_KEPT_TEXT = 1024 * 1024;

interface Entry {
  files: Map<string, Buffer[]>;
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

  /** The tables to replay for this namespace, or undefined: read them (and `remember` them). */
  reusable(id: string, load: SocketLoad): Map<string, Buffer[]> | undefined {
    this.seen.add(id);
    const e = this.entries.get(id);
    if (!e || e.age >= MAX_AGE || mustWalk(load, e.load)) {
      this.walked++;
      return undefined;
    }
    e.age++;
    this.reused++;
    return e.files;
  }

  remember(id: string, files: Map<string, Buffer[]>, load: SocketLoad): void {
    this.forget(id);
    const bytes = [...files.values()].flat().reduce((n, b) => n + b.length, 0);
    if (this.bytes + bytes > MAX_BYTES) return;
    this.entries.set(id, { files, bytes, load, age: 0 });
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
 * A pod's slow-changing artefacts — its sysctls, its iptables saves, its listeners — read through a
 * process each (nsenter), re-read every `every` ticks and reused in between: forking the agent 200 times a
 * tick costs more than everything it reads. The node's own namespace is always read. A listener table is
 * re-read at once when the pod's listen counters moved (listen-queue-overflow names the listener from it).
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

  /** The text of `artefact` for namespace `id`: reused when young enough, else read (and kept). */
  async text(id: string, artefact: string, read: () => Promise<string>, fresh = false): Promise<string> {
    const key = `${id}\0${artefact}`;
    this.seen.add(key);
    const kept = this.texts.get(key);
    if (kept && !fresh && kept.age + 1 < this.every) {
      kept.age++;
      this.reuses++;
      return kept.text;
    }
    this.reads++;
    const text = await read();
    // a pod with an outsized ruleset is re-read every tick rather than kept: memory stays bounded
    if (text.length <= MAX_KEPT_TEXT) this.texts.set(key, { text, age: 0 });
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
