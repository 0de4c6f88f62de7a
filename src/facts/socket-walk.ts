/**
 * When the agent may skip walking a namespace's socket tables and judge on the tables of an earlier tick.
 * Reading /proc/PID/net/tcp makes the kernel walk the machine-wide socket hash for that one namespace: on a
 * node with 50 pods of 1,000 sockets it is most of a tick's cost. A namespace's sockstat counts (the same
 * kernel, no walk) bound what any table of it can show: a destination cannot hold more ports than the
 * namespace has sockets. The rules that read socket tables fire at 50 % of the usable ports or more
 * (time-wait-pressure per destination; ephemeral-port-exhaustion warns at 70 %) and at 90 % of
 * tcp_max_tw_buckets, so below WALK_SHARE of either the verdict is "nothing" whatever the table says — the
 * table of an earlier tick, taken below the bound too, gives the same verdict.
 */

/** Walk at this share of the usable ports (rules start at 50 %: a margin for sockets opened meanwhile). */
const WALK_SHARE = 0.3;

export interface SocketLoad {
  /** sockets of the namespace that may hold a local port: TCP and TCP6 in use, and TIME_WAIT */
  sockets: number;
  /** hashed sockets per family (sockstat's TCP inuse, sockstat6's TCP6 inuse): TIME_WAIT is counted apart */
  v4: number;
  /** undefined when sockstat6 could not be read (IPv6 off) */
  v6?: number;
  timeWait: number;
  usable: number;
  twBuckets?: number;
}

/** True when the tables must be read this tick: what they hold could change a verdict. */
export function mustWalk(now: SocketLoad, before: SocketLoad | undefined): boolean {
  const high = (l: SocketLoad) =>
    l.sockets >= l.usable * WALK_SHARE || (l.twBuckets !== undefined && l.timeWait >= l.twBuckets * 0.6);
  return before === undefined || high(now) || high(before);
}

/** The load from /proc/net/sockstat and sockstat6 ("TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1"). */
export function socketLoad(
  sockstat: Map<string, number>,
  sockstat6: Map<string, number> | undefined,
  usable: number,
  twBuckets: number | undefined,
): SocketLoad {
  // inuse counts this namespace's hashed sockets (orphans included); `alloc` and `orphan` are machine-wide
  const v4 = sockstat.get('TCP.inuse') ?? 0;
  const v6 = sockstat6 ? (sockstat6.get('TCP6.inuse') ?? 0) : undefined;
  const timeWait = sockstat.get('TCP.tw') ?? 0;
  return { sockets: v4 + (v6 ?? 0) + timeWait, v4, v6, timeWait, usable, twBuckets };
}

/**
 * True when the kernel's counts say a family's table holds no socket, so reading it (a walk of the whole
 * machine's socket hash, 6–17 ms on a node of 50,000 sockets) can only give an empty table. Every socket in
 * /proc/net/tcp or tcp6 is hashed (counted in `inuse`: listeners, established, closing — a SYN_RECV request
 * exists only under a listener) or in TIME_WAIT. TIME_WAIT has one count for both families (tcp_death_row,
 * shared by IPv6), so a family is known empty only when no socket of it is in use and none is in TIME_WAIT.
 * Unreadable sockstat6 (IPv6 off or not asked) leaves the IPv6 table unknown.
 */
export function knownEmpty(load: SocketLoad, family: 4 | 6): boolean {
  return load.timeWait === 0 && (family === 4 ? load.v4 : load.v6) === 0;
}
