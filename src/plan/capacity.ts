/**
 * Ephemeral-port capacity arithmetic (FACTS.md §1, §6). connect() needs a local port per (source IP,
 * destination IP, destination port) that no other socket to the same destination holds; a connection holds
 * its port for its lifetime, and the side that closes first keeps it TIME_WAIT_SECONDS longer, unless
 * tcp_tw_reuse lets connect() take over a TIME_WAIT port that is at least a second old.
 */
import { totalSize, subtract, intersect, type PortRange } from '../model/port-range.js';

/** TCP_TIMEWAIT_LEN, fixed in the kernel. */
export const TIME_WAIT_SECONDS = 60;
/** tcp_tw_reuse lets connect() reuse a TIME_WAIT port once its last timestamp is a second old. */
const TW_REUSE_AFTER_SECONDS = 1;

export interface PlanInput {
  /** new connections per second, over all destinations */
  rate: number;
  /** seconds a connection stays open */
  lifetime: number;
  /** distinct (destination IP, port) the connections are spread over evenly */
  destinations: number;
  /** source IPs the client can use */
  sourceIps: number;
  range: PortRange;
  reserved: PortRange[];
  /** net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only (the default) */
  twReuse: 0 | 1 | 2;
  /** whether the destinations are on loopback (tw_reuse=2 applies there only) */
  loopback: boolean;
  /** who closes first and so holds TIME_WAIT */
  closer: 'client' | 'server';
}

export interface PlanResult {
  /** ports connect() may pick: the range minus reserved ports */
  usable: number;
  /** connections per second to one destination from one source IP */
  ratePerTuple: number;
  /** seconds each connection holds its port: lifetime plus TIME_WAIT as far as it lands on this side */
  holdSeconds: number;
  /** ports held at steady state, per destination and source IP */
  steadyPorts: number;
  /** of which TIME_WAIT */
  steadyTimeWait: number;
  /** usable minus steady, negative when the range cannot hold the load */
  headroom: number;
  utilisation: number;
  /** highest total connection rate the range sustains */
  maxRate: number;
  /** seconds from a quiet start until connect() fails with EADDRNOTAVAIL; undefined when it never does */
  exhaustedAfter?: number;
  /** TIME_WAIT sockets per destination at that moment */
  timeWaitAtExhaustion?: number;
}

/** What one remedy changes and where it leaves the load. */
export interface Remedy {
  name: string;
  change: string;
  usable: number;
  steadyPorts: number;
  headroom: number;
  /** highest total rate it sustains; undefined for pooling, which no longer opens a connection per request */
  maxRate?: number;
  exhaustedAfter?: number;
}

export function twReuseApplies(input: Pick<PlanInput, 'twReuse' | 'loopback'>): boolean {
  return input.twReuse === 1 || (input.twReuse === 2 && input.loopback);
}

export function plan(input: PlanInput): PlanResult {
  const usable = usablePorts(input.range, input.reserved);
  const ratePerTuple = input.rate / (input.destinations * input.sourceIps);
  const timeWait = input.closer === 'server' ? 0 : twReuseApplies(input) ? TW_REUSE_AFTER_SECONDS : TIME_WAIT_SECONDS;
  const holdSeconds = input.lifetime + timeWait;
  const steadyPorts = ratePerTuple * holdSeconds;
  const result: PlanResult = {
    usable,
    ratePerTuple,
    holdSeconds,
    steadyPorts,
    steadyTimeWait: ratePerTuple * timeWait,
    headroom: usable - steadyPorts,
    utilisation: usable > 0 ? steadyPorts / usable : Infinity,
    maxRate: holdSeconds > 0 ? (usable / holdSeconds) * input.destinations * input.sourceIps : Infinity,
  };
  if (steadyPorts > usable && ratePerTuple > 0) {
    // From a quiet start no port comes back before holdSeconds, so the range fills at the connection rate.
    result.exhaustedAfter = usable / ratePerTuple;
    // Ports opened more than `lifetime` ago are in TIME_WAIT by then.
    result.timeWaitAtExhaustion = Math.max(0, usable - ratePerTuple * input.lifetime);
  }
  return result;
}

export function usablePorts(range: PortRange, reserved: PortRange[]): number {
  const inRange = reserved.map((r) => intersect(r, range)).filter((r): r is PortRange => r !== undefined);
  return totalSize(subtract(range, inRange));
}

/** What each remedy buys, computed on the same load. */
export function remedies(input: PlanInput, nodePorts: PortRange): Remedy[] {
  const out: Remedy[] = [];
  const summary = (name: string, change: string, r: PlanResult): Remedy => ({
    name,
    change,
    usable: r.usable,
    steadyPorts: r.steadyPorts,
    headroom: r.headroom,
    maxRate: r.maxRate,
    exhaustedAfter: r.exhaustedAfter,
  });
  const wide: PortRange = { lo: 10240, hi: 65535 };
  if (usablePorts(wide, [nodePorts]) > usablePorts(input.range, input.reserved)) {
    const change = `ip_local_port_range="10240 65535" with the NodePort range ${nodePorts.lo}-${nodePorts.hi} reserved`;
    out.push(summary('wider range', change, plan({ ...input, range: wide, reserved: [nodePorts] })));
  }
  if (input.closer === 'client' && !twReuseApplies(input)) {
    out.push(
      summary(
        'tcp_tw_reuse',
        'net.ipv4.tcp_tw_reuse=1 on the client (needs TCP timestamps)',
        plan({ ...input, twReuse: 1 }),
      ),
    );
  }
  if (input.lifetime < TIME_WAIT_SECONDS) {
    // A pool keeps connections open: ports in use = connections busy at once (Little's law), and no churn.
    const pooled = Math.max(1, Math.ceil(input.rate * Math.max(input.lifetime, 0.001)));
    const perTuple = Math.ceil(pooled / (input.destinations * input.sourceIps));
    const usable = usablePorts(input.range, input.reserved);
    out.push({
      name: 'keep-alive / pooling',
      change: `reuse connections: about ${pooled} pooled connection(s) carry ${input.rate}/s`,
      usable,
      steadyPorts: perTuple,
      headroom: usable - perTuple,
    });
  }
  const base = plan(input);
  if (base.steadyPorts > base.usable) {
    const ips = Math.ceil((base.steadyPorts * input.sourceIps) / Math.max(base.usable, 1));
    out.push(
      summary(
        'more source IPs',
        `${ips} source IPs (SNAT pool or pod IPs) instead of ${input.sourceIps}`,
        plan({ ...input, sourceIps: ips }),
      ),
    );
  }
  return out;
}
