import type { ByteOrder, SocketTable } from '../parsers/proc-net-tcp.js';
import { IPTABLES_SAVES, type NetnsMeta } from './types.js';

/**
 * Where artefacts go. Live collection writes to one; `node` analyses them as they arrive, `collect` writes
 * them into a bundle, `analyze` replays a bundle into the same analyser — so all three see the same bytes.
 * Paths are bundle-relative: "host/kernel-release", "netns/<id>/proc/net/tcp", "netns/<id>/later/…".
 */
export interface ArtefactSink {
  netns(meta: NetnsMeta): void;
  text(path: string, content: string): void;
  /** `expectedBytes`, when known (a file's size), lets a parser size what it keeps once */
  stream(path: string, expectedBytes?: number): ChunkWriter;
  /** the artefact could not be read: the rules that need it are not checked */
  failed(path: string, reason: string): void;
  /**
   * the machine has no such thing (no IPVS in the kernel, no kube-proxy on the node): the rules that need it
   * do not apply here, which is an answer, not a gap
   */
  absent(path: string, reason: string): void;
  finish(info: BundleInfo): Promise<void>;
  /**
   * A namespace's socket tables are those of an earlier tick, byte for byte (the agent's cache): the sink may
   * take them whole as `stream` would, or keep what it made of them in `memo` and skip the scan next time.
   * `tables` is undefined once the memo holds the scan (the cache then keeps no bytes).
   */
  reuseSocketTables?(
    netnsId: string,
    tables: ReadonlyMap<'tcp' | 'tcp6', readonly Buffer[]> | undefined,
    memo: ScanMemo,
  ): void;
}

/**
 * What a sink made of reused socket tables, kept by their owner (the agent's cache) with the bytes: valid
 * while the scanner's inputs are the same objects (the port bitmaps are shared per range, facts/ephemeral.ts).
 */
export interface ScanMemo {
  scanned?: { table: SocketTable; ephemeral: Uint8Array; watched: Uint8Array | undefined };
  /** the kept scan did not fit this tick's inputs and no bytes were left to scan again: read the tables */
  stale?: boolean;
}

export interface ChunkWriter {
  push(chunk: Buffer): void;
  end(): void;
}

export interface BundleInfo {
  tool: string;
  version: string;
  createdAt: string;
  hostname: string;
  intervalMs: number;
  byteOrder: ByteOrder;
  nodePortRange?: string;
  nodePortRangeOrigin?: string;
  netns: NetnsMeta[];
  problems: { path: string; reason: string }[];
  absent?: { path: string; reason: string }[];
  /** sentences about the run as a whole (not root: one namespace read) */
  notes?: string[];
}

/** Canonical order of a netns's artefacts: sysctls before sockets (the port range shapes the scan). */
export const NETNS_FILES = [
  'sysctl.txt',
  'proc/net/netstat',
  'proc/net/snmp',
  'proc/net/sockstat',
  'proc/net/stat/nf_conntrack',
  // What customers send instead of /proc/net/netstat and snmp
  'netstat-s',
  // Before the socket tables: the NodePorts in KUBE-NODEPORTS join the ports whose sockets are sampled.
  'iptables-legacy-save',
  'iptables-nft-save',
  'ip6tables-legacy-save',
  'ip6tables-nft-save',
  // what `netdoctor trace` needs besides the rules: the sets they match, the routes after them
  'ipset-save',
  'ip-route',
  'ip6-route',
  'proc/net/tcp',
  'proc/net/tcp6',
  // What customers send instead of /proc/net/tcp
  'ss-tan',
  'netstat-an',
  'ss-ltn',
  'proc/net/ip_vs',
  'proc/net/ip_vs_conn',
  'ipvsadm-Ln',
  'ipvsadm-Lnc',
] as const;

/** Single sysctl files as `cat /proc/sys/…` printed them, under netns/<id>/proc/sys/, read right after sysctl.txt. */
export const PROC_SYS_DIR = 'proc/sys';

/**
 * Artefacts that may be large and are streamed rather than read whole. The iptables dumps are kept (a rule
 * reads its text back when asked), so they are held to MAX_TEXT_ARTEFACT like any text read whole.
 */
export const STREAMED_FILES = [
  'proc/net/tcp',
  'proc/net/tcp6',
  'proc/net/ip_vs_conn',
  'ipvsadm-Lnc',
  ...IPTABLES_SAVES,
] as const;

/** The most of one text artefact a reader keeps from a bundle. */
export const MAX_TEXT_ARTEFACT = 512 * 1024 * 1024;

/** Counter files sampled a second time, under later/. */
export const COUNTER_FILES = [
  'proc/net/netstat',
  'proc/net/snmp',
  'proc/net/sockstat',
  'proc/net/stat/nf_conntrack',
] as const;

/** Files of the second sample, under later/: the counters, and the IPVS table (how long real servers linger). */
export const LATER_FILES = [...COUNTER_FILES, 'proc/net/ip_vs', 'ipvsadm-Ln'] as const;

/** Node-level artefacts, outside any netns. */
export const HOST_FILES = [
  'host/kernel-release',
  'host/os-release',
  'host/iptables-version',
  'host/kube-proxy',
  'logs/kube-proxy.log',
  'logs/kernel.log',
] as const;
