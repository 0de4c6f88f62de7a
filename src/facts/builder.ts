import { IptablesSaveScanner, parseIptablesSave } from '../parsers/iptables-save.js';
import { IpvsConnScanner, parseIpvsTable } from '../parsers/ipvs.js';
import { parseIpsetSave } from '../parsers/ipset-save.js';
import { parseIpRoute } from '../parsers/ip-route.js';
import { addK8sJson, emptyClusterObjects } from '../parsers/k8s-objects.js';
import { parseIptablesVersion, parseKubeProxyInfo } from '../parsers/kube-proxy-info.js';
import { parseKubeProxyLog } from '../parsers/kube-proxy-log.js';
import { parseKernelLog } from '../parsers/kernel-log.js';
import { ParseError, UnreadLines, describeUnread } from '../parsers/parse-error.js';
import { parseNetstatS } from '../parsers/netstat-s.js';
import { parseSocketText } from '../parsers/socket-text.js';
import type { PortRange } from '../model/port-range.js';
import {
  parseConntrackStat,
  parseProcNetCounters,
  parseSockstat,
  type Counters,
} from '../parsers/proc-net-counters.js';
import { SocketTableScanner, type ByteOrder } from '../parsers/proc-net-tcp.js';
import { ST_LISTEN } from '../parsers/tcp-states.js';
import { parseSsListeners, type SsListener } from '../parsers/ss-listeners.js';
import { parseSysctls } from '../parsers/sysctl.js';
import { ephemeralPorts, portBitmap } from './ephemeral.js';
import { knownNodePorts } from './nodeports.js';
import { MAX_TEXT_ARTEFACT, type ArtefactSink, type BundleInfo, type ChunkWriter, type ScanMemo } from './sink.js';
import {
  IPTABLES_SAVES,
  type CounterSamples,
  type IptablesSave,
  type NetnsFacts,
  type NetnsMeta,
  type NodeFacts,
} from './types.js';
import { endpointKey } from '../model/address.js';
import { byCodeUnit } from '../model/indexing.js';

interface BuilderOptions {
  target: NodeFacts['target'];
  byteOrder: ByteOrder;
  nodePorts: { range: PortRange; origin: string };
}

const COUNTER_PARSERS: Record<string, [keyof CounterSamples, (text: string, source: string) => Counters]> = {
  'proc/net/netstat': ['netstat', parseProcNetCounters],
  'proc/net/snmp': ['snmp', parseProcNetCounters],
  'proc/net/sockstat': ['sockstat', parseSockstat],
  'proc/net/stat/nf_conntrack': ['conntrack', parseConntrackStat],
};

interface Pending {
  facts: NetnsFacts;
  scanner?: SocketTableScanner;
  /** socket tables of an earlier tick (the agent's cache), scanned at finish unless their memo still holds */
  reused?: { tables: ReadonlyMap<'tcp' | 'tcp6', readonly Buffer[]> | undefined; memo: ScanMemo };
  socketsBroken?: boolean;
  tcpSeen?: boolean;
}

/** The same port bitmap: the same object (shared per range, facts/ephemeral.ts), or the same bits. */
function sameBits(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Every kernel has these two, and both `sysctl -a` and the collector print them: a set without them is partial. */
function looksComplete(s: Map<string, unknown>): boolean {
  return s.has('net.ipv4.tcp_timestamps') && s.has('net.ipv4.ip_local_port_range') && s.has('net.ipv4.tcp_tw_reuse');
}

/** Turns artefacts into facts as they arrive; `finish` hands over the NodeFacts. */
export class FactsBuilder implements ArtefactSink {
  private readonly opts: BuilderOptions;
  private readonly netnsById = new Map<string, Pending>();
  private readonly host: Pick<
    NodeFacts,
    | 'kernelRelease'
    | 'osRelease'
    | 'iptablesVersion'
    | 'kubeProxy'
    | 'kubeProxyLog'
    | 'kernelLog'
    | 'cluster'
    | 'problems'
    | 'absent'
  > = { problems: new Map(), absent: new Map() };
  private result: NodeFacts | undefined;

  constructor(opts: BuilderOptions) {
    this.opts = opts;
  }

  netns(meta: NetnsMeta): void {
    const existing = this.netnsById.get(meta.id);
    if (existing) {
      existing.facts.meta = { ...existing.facts.meta, ...meta };
      return;
    }
    this.netnsById.set(meta.id, {
      facts: {
        meta,
        ephemeral: ephemeralPorts(undefined),
        iptables: {},
        ipvs: {},
        first: {},
        later: {},
        problems: new Map(),
        absent: new Map(),
      },
    });
  }

  text(path: string, content: string): void {
    const where = this.locate(path);
    if (!where) return;
    if (where.kind === 'host') {
      const host = this.host;
      this.guard(host.problems, path, () => {
        if (path === 'host/kernel-release') host.kernelRelease = content.trim();
        else if (path === 'host/os-release') host.osRelease = content;
        else if (path === 'host/iptables-version') host.iptablesVersion = parseIptablesVersion(content, path);
        else if (path === 'host/kube-proxy') host.kubeProxy = parseKubeProxyInfo(content, path);
        else if (path === 'logs/kube-proxy.log') host.kubeProxyLog = parseKubeProxyLog(content, path);
        else if (path === 'logs/kernel.log') host.kernelLog = parseKernelLog(content, path);
        else if (path.startsWith('k8s/')) addK8sJson((host.cluster ??= emptyClusterObjects()), content, path);
      });
      return;
    }
    const { pending, file } = where;
    const facts = pending.facts;
    const unread = new UnreadLines();
    this.guard(facts.problems, file, () => {
      if (file === 'sysctl.txt') {
        const parsed = parseSysctls(content, path, unread);
        facts.sysctls = facts.sysctls ? new Map([...facts.sysctls, ...parsed]) : parsed;
        facts.sysctlsComplete ||= looksComplete(facts.sysctls);
        facts.ephemeral = ephemeralPorts(facts.sysctls, path);
      } else if (file.startsWith('proc/sys/')) {
        // One sysctl file as `cat /proc/sys/…` printed it: the value, whitespace as the kernel wrote it.
        const key = file.slice('proc/sys/'.length).replaceAll('/', '.');
        const value = content.replace(/\n+$/, '').trim();
        const entry = { value, line: 1, raw: `${key} = ${value}` };
        facts.sysctls = new Map([...(facts.sysctls ?? []), [key, entry]]);
        facts.ephemeral = ephemeralPorts(facts.sysctls, path);
      } else if ((IPTABLES_SAVES as readonly string[]).includes(file)) {
        const ruleset = parseIptablesSave(content, file);
        facts.iptables[file as IptablesSave] = ruleset;
        if (ruleset.unread) facts.problems.set(file, describeUnread(ruleset.unread));
      } else if (file === 'ipset-save') {
        facts.ipsets = parseIpsetSave(content, path);
      } else if (file === 'ip-route' || file === 'ip6-route') {
        const table = parseIpRoute(content, path, file === 'ip6-route' ? 6 : 4);
        // one table of both families; each route keeps the artefact it came from
        facts.routes = facts.routes
          ? { source: `${facts.routes.source}, ${path}`, routes: [...facts.routes.routes, ...table.routes] }
          : table;
      } else if (
        file === 'proc/net/ip_vs' ||
        file === 'ipvsadm-Ln' ||
        file === 'later/proc/net/ip_vs' ||
        file === 'later/ipvsadm-Ln'
      ) {
        const table = parseIpvsTable(content, file);
        if (file.startsWith('later/')) facts.ipvs.later ??= table;
        else facts.ipvs.table ??= table;
        if (table.unread) facts.problems.set(file, describeUnread(table.unread));
      } else if (file === 'ss-ltn') {
        facts.ssListeners = parseSsListeners(content, path, unread);
      } else if (file === 'ss-tan' || file === 'netstat-an') {
        this.socketText(pending, file, content, unread);
      } else if (file === 'netstat-s') {
        // One map for both: the names carry their group (TcpExt.…, Tcp.…).
        const counters = parseNetstatS(content, path, unread);
        facts.first.netstat = counters;
        facts.first.snmp = counters;
      } else {
        const later = file.startsWith('later/');
        const counters = COUNTER_PARSERS[later ? file.slice(6) : file];
        if (counters) {
          const [key, parse] = counters;
          (later ? facts.later : facts.first)[key] = parse(content, path);
        }
      }
    });
    const summary = unread.summary();
    if (summary && !facts.problems.has(file)) facts.problems.set(file, describeUnread(summary));
  }

  /** `ss -tan` or `netstat -an` text: the same scanner as /proc/net/tcp; ss also gives listeners' backlogs. */
  private socketText(pending: Pending, file: string, content: string, unread: UnreadLines): void {
    const scanner = this.scannerFor(pending).file(file);
    const listeners: SsListener[] = [];
    parseSocketText(
      content,
      file,
      (s) => {
        scanner.textSocket(s);
        if (file === 'ss-tan' && s.state === ST_LISTEN) {
          const local = endpointKey(s.localIp, s.localPort);
          listeners.push({
            local,
            ip: s.localIp,
            port: s.localPort,
            acceptQueue: s.recvQ,
            backlog: s.sendQ,
            line: s.line,
            raw: s.raw,
          });
        }
      },
      unread,
    );
    pending.tcpSeen = true; // only now: a listing that was no socket table at all threw above and stays unread
    if (listeners.length > 0) pending.facts.ssListeners ??= listeners;
  }

  private scannerFor(pending: Pending): SocketTableScanner {
    pending.scanner ??= new SocketTableScanner({ ...this.scanInputs(pending), byteOrder: this.opts.byteOrder });
    return pending.scanner;
  }

  /** What a namespace's socket scan depends on besides the bytes: its usable ports and the ports to sample. */
  private scanInputs(pending: Pending): { ephemeral: Uint8Array; watched: Uint8Array } {
    return {
      ephemeral: pending.facts.ephemeral.bitmap,
      watched: portBitmap([
        this.opts.nodePorts.range,
        ...[...knownNodePorts(pending.facts).keys()].map((p) => ({ lo: p, hi: p })),
      ]),
    };
  }

  reuseSocketTables(
    netnsId: string,
    tables: ReadonlyMap<'tcp' | 'tcp6', readonly Buffer[]> | undefined,
    memo: ScanMemo,
  ): void {
    const where = this.locate(`netns/${netnsId}/proc/net/tcp`);
    if (where?.kind !== 'netns') return;
    where.pending.reused = { tables, memo };
    where.pending.tcpSeen = true;
  }

  stream(path: string, expectedBytes = 0): ChunkWriter {
    const where = this.locate(path);
    if (where?.kind === 'netns' && (where.file === 'proc/net/ip_vs_conn' || where.file === 'ipvsadm-Lnc')) {
      const { pending, file } = where;
      const scanner = new IpvsConnScanner(file);
      let broken = false;
      const problems = pending.facts.problems;
      return {
        push: (chunk) => {
          if (!broken)
            this.guard(
              problems,
              file,
              () => {
                scanner.push(chunk);
              },
              () => (broken = true),
            );
        },
        end: () => {
          if (!broken) this.guard(problems, file, () => (pending.facts.ipvs.conns ??= scanner.finish()));
        },
      };
    }
    if (where?.kind === 'netns' && (IPTABLES_SAVES as readonly string[]).includes(where.file)) {
      return this.iptablesStream(where.pending, where.file as IptablesSave, expectedBytes);
    }
    if (!where || where.kind === 'host' || (where.file !== 'proc/net/tcp' && where.file !== 'proc/net/tcp6')) {
      // Anything else streamed is small text: gather it and parse it whole.
      const chunks: Buffer[] = [];
      return {
        push: (c) => chunks.push(Buffer.from(c)),
        end: () => {
          this.text(path, Buffer.concat(chunks).toString('utf8'));
        },
      };
    }
    const { pending, file } = where;
    pending.tcpSeen ||= file === 'proc/net/tcp';
    const scanner = this.scannerFor(pending).file('/proc/net/' + file.slice('proc/net/'.length));
    const problems = pending.facts.problems;
    return {
      push: (chunk) => {
        if (pending.socketsBroken) return;
        this.guard(
          problems,
          file,
          () => {
            scanner.push(chunk);
          },
          () => (pending.socketsBroken = true),
        );
      },
      end: () => {},
    };
  }

  /** A dump streamed from a bundle: parsed as it is read, as sink.text would parse it whole. */
  private iptablesStream(pending: Pending, file: IptablesSave, expectedBytes: number): ChunkWriter {
    const facts = pending.facts;
    const scanner = new IptablesSaveScanner(file, expectedBytes);
    let broken = false;
    const stop = () => {
      broken = true;
    };
    return {
      push: (chunk) => {
        if (broken) return;
        if (scanner.bytesRead + chunk.length > MAX_TEXT_ARTEFACT) {
          facts.problems.set(file, `refused: over ${MAX_TEXT_ARTEFACT / 2 ** 20} MiB`);
          broken = true;
          return;
        }
        this.guard(
          facts.problems,
          file,
          () => {
            scanner.push(chunk);
          },
          stop,
        );
      },
      end: () => {
        if (broken) return;
        this.guard(facts.problems, file, () => {
          const ruleset = scanner.finish();
          facts.iptables[file] = ruleset;
          if (ruleset.unread) facts.problems.set(file, describeUnread(ruleset.unread));
        });
      },
    };
  }

  failed(path: string, reason: string): void {
    const where = this.locate(path);
    if (!where || where.kind === 'host') this.host.problems.set(path, reason);
    else where.pending.facts.problems.set(where.file, reason);
  }

  absent(path: string, reason: string): void {
    const where = this.locate(path);
    if (!where || where.kind === 'host') this.host.absent.set(path, reason);
    else where.pending.facts.absent.set(where.file, reason);
  }

  async finish(info: BundleInfo): Promise<void> {
    const netns: NetnsFacts[] = [];
    for (const pending of this.netnsById.values()) {
      const f = pending.facts;
      // A socket table whose read failed is not an empty table: it stays unread, and its rules are skipped.
      if (f.problems.has('proc/net/tcp')) pending.socketsBroken = true;
      const inputs = pending.reused && this.scanInputs(pending);
      const kept = pending.reused?.memo.scanned;
      if (kept && inputs && sameBits(kept.ephemeral, inputs.ephemeral) && sameBits(kept.watched, inputs.watched)) {
        f.sockets = kept.table; // the same bytes through the same scanner: the same table, shared (rules only read)
      } else if (pending.reused && !pending.reused.tables) {
        // a kept scan that does not fit, and no bytes to scan again: not read this tick (never an empty table)
        pending.reused.memo.stale = true;
        f.problems.set(
          'proc/net/tcp',
          'the earlier scan no longer fits this namespace (its port range or NodePorts changed); the table is read at the next tick',
        );
      } else if (pending.reused?.tables && !pending.scanner) {
        const scanner = this.scannerFor(pending);
        for (const [file, chunks] of pending.reused.tables) {
          scanner.file(`/proc/net/${file}`);
          this.guard(f.problems, `proc/net/${file}`, () => {
            for (const c of chunks) scanner.push(c);
          });
        }
      }
      if (pending.scanner && !pending.socketsBroken) {
        this.guard(f.problems, 'proc/net/tcp', () => {
          if (!pending.tcpSeen) return;
          const table = pending.scanner!.result();
          for (const u of table.unread ?? []) {
            const file = u.source.replace(/^\//, '');
            f.problems.set(
              file,
              u.rejected
                ? `unreadable: not a socket table (line ${u.lines[0]?.line ?? 1}: ${u.lines[0]?.reason ?? ''})`
                : describeUnread(u),
            );
          }
          // The IPv4 table (or the ss/netstat listing) unreadable: no socket facts, rather than too few.
          if (!(table.unread ?? []).some((u) => u.rejected && !u.source.endsWith('tcp6'))) f.sockets = table;
          if (pending.reused && inputs && !table.unread) pending.reused.memo.scanned = { table, ...inputs };
        });
      }
      netns.push(f);
    }
    netns.sort(
      (a, b) => Number(b.meta.isHost ?? false) - Number(a.meta.isHost ?? false) || byCodeUnit(a.meta.id, b.meta.id),
    );
    this.result = {
      target: this.opts.target,
      hostname: info.hostname,
      createdAt: info.createdAt,
      kernelRelease: this.host.kernelRelease,
      osRelease: this.host.osRelease,
      iptablesVersion: this.host.iptablesVersion,
      kubeProxy: this.host.kubeProxy,
      kubeProxyLog: this.host.kubeProxyLog,
      kernelLog: this.host.kernelLog,
      cluster: this.host.cluster,
      intervalMs: info.intervalMs,
      byteOrder: this.opts.byteOrder,
      nodePorts: this.opts.nodePorts,
      netns,
      problems: this.host.problems,
      absent: this.host.absent,
      notes: info.notes ?? [],
    };
  }

  facts(): NodeFacts {
    if (!this.result) throw new Error('FactsBuilder.facts() before finish()');
    return this.result;
  }

  private locate(
    path: string,
  ): { kind: 'host'; file: string } | { kind: 'netns'; pending: Pending; file: string } | undefined {
    if (path.startsWith('host/') || path.startsWith('logs/') || path.startsWith('k8s/'))
      return { kind: 'host', file: path };
    const m = /^netns\/([^/]+)\/(.+)$/.exec(path);
    if (!m) return undefined;
    const [, id = '', file = ''] = m; // both groups are mandatory
    if (!this.netnsById.has(id)) this.netns({ id, isHost: id === 'host' });
    return { kind: 'netns', pending: this.netnsById.get(id)!, file };
  }

  private guard(problems: Map<string, string>, file: string, f: () => void, onError?: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      problems.set(file, `unreadable: ${e.message}`);
      onError?.();
    }
  }
}
