/**
 * TCP handshakes in a capture, per 4-tuple: what happened to each connection attempt (answered, refused,
 * unanswered, SYN-ACKs without the final ACK, ICMP unreachable, established after a retransmitted SYN,
 * a tuple reused soon after it closed), and per source address whether SYN timestamps go backwards.
 * Memory: one small record per live flow, and a few examples per group. A connection that was established
 * and closed is judged at its close and keeps only a compact record (the tuple, when it closed) for the
 * reuse check; idle flows are retired. Per packet nothing is allocated: flows are found by numbers.
 */
import { dstText, srcText, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../parsers/packet.js';
import type { NonEmpty } from '../model/indexing.js';
import { endpointKey } from '../model/address.js';
import { FlowTable } from './flow-table.js';
import { RecentSyns } from './recent-syns.js';
import { ClosedFlows, type ClosedFlow } from './closed-flows.js';

export interface PacketRef {
  /** Wireshark's frame number */
  number: number;
  timeUs: number;
}

export interface Attempt {
  /** "10.0.0.1:40000", "[fd00::1]:40000": written when the attempt is judged worth reporting (see finish) */
  client: string;
  server: string;
  firstSyn: PacketRef;
  secondSyn?: PacketRef;
  lastSyn: PacketRef;
  synCount: number;
  synAckCount: number;
  firstSynAck?: PacketRef;
  lastSynAck?: PacketRef;
  established: boolean;
  reset?: PacketRef & { byServer: boolean };
  icmp?: PacketRef & { type: number; code: number; from: string };
  /** for a reused tuple: when the previous connection on it closed (or was last seen) */
  previous?: PacketRef & { closed: boolean };
  /**
   * the server answered the SYN with a bare ACK (no SYN): it still holds a connection on this 4-tuple
   * (ESTABLISHED or TIME_WAIT) and sends a challenge ACK (RFC 5961) — the tuple was reused too early
   */
  bareAck?: PacketRef;
  /** both ends sent a SYN (simultaneous open): an answer, not silence */
  simultaneousOpen?: boolean;
  /** the client's ACK came before the SYN-ACK it acknowledges (reordered, as `tcpdump -i any` can) */
  ackBeforeSynAck?: boolean;
  /**
   * the same SYN (client address and port, sequence number) seen again toward another address: DNAT
   * captured on both sides (a bridge or `-i any` sees the packet before and after kube-proxy's rules)
   */
  translatedTo?: string;
  /** on the translated copy: the address the client really asked for (the Service VIP) */
  translatedFrom?: string;
  /** the client reset the SYN-ACK: it did not recognise the reply (it came from an address it did not call) */
  clientReset?: PacketRef;
}

export interface AttemptGroup {
  /** "10.0.0.2:80", or "10.0.0.2:80 icmp 3/1" */
  key: string;
  server: string;
  count: number;
  /** the first few attempts; a group exists because one attempt made it */
  examples: NonEmpty<Attempt>;
}

export interface TimestampSource {
  address: string;
  syns: number;
  /** connections (distinct source ports) whose SYNs carried a timestamp */
  connections: number;
  /**
   * Distinct TSval clocks: SYNs whose (TSval − capture time in ms) agree within CLOCK_SLACK_MS share one
   * (Linux ticks TSval in ms). One clock per connection means per-connection random offsets (Linux
   * tcp_timestamps=1 on newer kernels; seen on 6.18); fewer, but more than one, means several hosts.
   * Capped at MAX_CLOCKS.
   */
  clocks: number;
  backwards: number;
  examples: {
    earlier: PacketRef & { tsval: number; port: number };
    later: PacketRef & { tsval: number; port: number };
  }[];
}

export interface CaptureFacts {
  source: string;
  format?: string;
  linkTypes: number[];
  interfaces: number;
  packets: number;
  tcpPackets: number;
  firstUs?: number;
  lastUs?: number;
  truncatedBytes: number;
  /** distinct TCP 4-tuples seen */
  tuples: number;
  attempts: number;
  /** TCP conversations as Wireshark counts them: one per SYN that starts a connection, plus tuples first seen mid-connection */
  conversations: number;
  established: number;
  refused: number;
  unanswered: AttemptGroup[];
  synAckUnacknowledged: AttemptGroup[];
  icmpUnreachable: AttemptGroup[];
  retransmittedThenEstablished: AttemptGroup[];
  reusedTuples: AttemptGroup[];
  /** SYNs answered with a bare ACK: the server still holds a connection on the tuple */
  answeredWithAck: AttemptGroup[];
  /** DNAT-ed SYNs whose reply reached the client untranslated (from the backend's address) and was reset */
  replyNotTranslated: AttemptGroup[];
  timestampSources: TimestampSource[];
  /** TCP packets of tuples first seen while MAX_LIVE_FLOWS flows were live: not followed */
  untrackedPackets: number;
}

const EXAMPLES = 3;
const CLOCK_SLACK_MS = 200;
const MAX_CLOCKS = 64;
/** TCP_TIMEWAIT_LEN: how long the closing side keeps the tuple (FACTS.md §1) */
const TIME_WAIT_US = 60_000_000;
const IDLE_RETIRE_US = 2 * TIME_WAIT_US;
const SWEEP_EVERY = 65_536;
/** Live flows tracked at once; past this, new tuples are counted but not followed, and the report says so. */
export const MAX_LIVE_FLOWS = 1_000_000;
/** SYNs remembered to pair a DNAT-ed copy with its original (a copy follows within microseconds; see RecentSyns) */
const MAX_ISN_MEMORY = 65_536;

interface Flow extends ClosedFlow {
  /** client and server addresses as text */
  cAddr: string;
  sAddr: string;
  attempt?: Attempt;
  /** the attempt was established, closed and judged at its close; only the tuple's record is kept */
  judged: boolean;
  /** a SYN-ACK seen before any SYN on the flow: `tcpdump -i any` can print a reply before its request */
  earlySynAck?: PacketRef;
  /** first seen mid-connection, unless the SYN of a reordered handshake still comes */
  midstreamPending: boolean;
}

/**
 * A flow with every field, so that all flows share one shape with their fields in the object (a field added
 * later moves an object's fields to a separate array: 120k extra objects for 100k flows). Numbers start as
 * small integers and stay so (addresses and ISN are int32): a field first given a double keeps a boxed double
 * per object (five such fields: 10 % slower on 5M packets). The two times are doubles anyway (µs since 1970):
 * they start as NaN, as a field that starts as an integer and later takes a double changes every flow's shape
 * mid-capture, and V8 throws away the code optimised for the old one (1M packets: 7 % of the CPU time).
 */
function newFlow(): Flow {
  return {
    cIp: 0,
    cPort: 0,
    sIp: 0,
    sPort: 0,
    cText: undefined,
    sText: undefined,
    cAddr: '',
    sAddr: '',
    isn: -1,
    attempt: undefined,
    earlySynAck: undefined,
    judged: false,
    clientFin: false,
    serverFin: false,
    closedNumber: -1,
    closedUs: NaN,
    lastNumber: 0,
    lastUs: NaN,
    midstreamPending: false,
  };
}

const clientOf = (f: Flow) => endpointKey(f.cAddr, f.cPort);
const serverOf = (f: Flow) => endpointKey(f.sAddr, f.sPort);
const sameServer = (f: Flow, g: Flow) => f.sIp === g.sIp && f.sPort === g.sPort && f.sAddr === g.sAddr;

/** How far apart a request and its reply may be captured out of order and still be paired. */
const REORDER_US = 1_000_000;

/** An ACK with no SYN, FIN or RST: from the server before its SYN-ACK, an answer to a stale connection. */
const isBareAck = (flags: number) => (flags & (TCP_ACK | TCP_RST | TCP_FIN | TCP_SYN)) === TCP_ACK;

export class HandshakeTracker {
  private readonly flows = new FlowTable<Flow>();
  /** IPv4 connections closed and judged, kept compact for the reuse check */
  private readonly closed = new ClosedFlows();
  private readonly groups = {
    unanswered: new Map<string, AttemptGroup>(),
    synAckUnacknowledged: new Map<string, AttemptGroup>(),
    icmpUnreachable: new Map<string, AttemptGroup>(),
    retransmittedThenEstablished: new Map<string, AttemptGroup>(),
    reusedTuples: new Map<string, AttemptGroup>(),
    answeredWithAck: new Map<string, AttemptGroup>(),
    replyNotTranslated: new Map<string, AttemptGroup>(),
  };
  /** recent SYNs by client endpoint and ISN, to recognise a DNAT-ed copy of one (it follows within REORDER_US) */
  private readonly recentSyns = new RecentSyns<Flow>(MAX_ISN_MEMORY);
  private readonly tsSources = new Map<
    string,
    TimestampSource & { last?: PacketRef & { tsval: number; port: number }; bases: number[] }
  >();
  private tuples = 0;
  private midstream = 0;
  private attempts = 0;
  private established = 0;
  private refused = 0;
  private tcpPackets = 0;
  private untrackedPackets = 0;

  constructor(private readonly maxFlows = MAX_LIVE_FLOWS) {}
  /**
   * The first sweep comes early, at the 16th TCP packet: V8 then has seen the sweep called before it
   * optimises the packet path, instead of throwing that code away at the first sweep (65,536 packets in).
   */
  private sinceSweep = SWEEP_EVERY - 16;
  /** the first and the latest time seen (NaN: none yet) */
  private firstUs = NaN;
  private nowUs = NaN;
  /**
   * The packet being handled: its frame number and time (NaN when the capture has no time). Kept here rather
   * than passed down: a time is a double, and each call not inlined would box it in a new heap number.
   */
  private number = 0;
  private timeUs = NaN;

  /** One decoded packet, with its frame number and time. */
  add(p: DecodedPacket): void {
    const timeUs = p.timeUs;
    this.number = p.number;
    this.timeUs = timeUs;
    if (timeUs === timeUs) {
      if (this.firstUs !== this.firstUs) this.firstUs = timeUs;
      this.nowUs = timeUs;
    }
    if (p.kind === 'icmp-unreachable') {
      this.icmp(p, this.here());
      return;
    }
    if (p.kind !== 'tcp') return;
    this.tcpPackets++;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    const syn = (p.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const flow = this.flowOf(p, syn);
    if (!flow) return;
    this.step(flow, p, syn);
    this.settle(flow);
  }

  /** A reference to the packet being handled, for the attempt's record. */
  private here(): PacketRef {
    return { number: this.number, timeUs: this.timeUs };
  }

  /** What one TCP packet changes on its flow. */
  private step(flow: Flow, p: DecodedPacket, syn: boolean): void {
    const beforeNumber = flow.lastNumber;
    const beforeUs = flow.lastUs;
    flow.lastNumber = this.number;
    flow.lastUs = this.timeUs;
    const fromClient = p.srcNum === flow.cIp && p.srcPort === flow.cPort && (!p.v6 || p.src === flow.cAddr);
    if (syn && fromClient) {
      this.syn(flow, p, beforeNumber, beforeUs);
      return;
    }
    const a = flow.attempt;
    if (syn && a && !a.established) {
      a.simultaneousOpen = true; // the other end's SYN crossed ours
      return;
    }
    if ((p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && !fromClient) {
      this.synAck(flow);
      return;
    }
    if (a && !a.established && !fromClient && isBareAck(p.flags) && a.synAckCount === 0) {
      a.bareAck ??= this.here();
      return;
    }
    if (p.flags & TCP_RST) {
      this.rst(flow, fromClient);
      return;
    }
    if (a && !a.established && fromClient && p.flags & TCP_ACK) {
      if (a.synAckCount > 0 || a.simultaneousOpen) a.established = true;
      else if (!a.bareAck) a.ackBeforeSynAck = true;
    }
    if (p.flags & TCP_FIN) this.fin(flow, fromClient);
  }

  /**
   * The flow this packet belongs to, made on its first packet; undefined past the flow cap (counted), and for a
   * closed connection's packet that was handled in place.
   */
  private flowOf(p: DecodedPacket, syn: boolean): Flow | undefined {
    const srcV6 = p.v6 ? p.src : undefined;
    const dstV6 = p.v6 ? p.dst : undefined;
    const known = this.flows.get(p.srcNum, p.srcPort, p.dstNum, p.dstPort, srcV6, dstV6);
    if (known) return known;
    if (!p.v6 && this.closed.size > 0) {
      const r = this.closed.find(p.srcNum, p.srcPort, p.dstNum, p.dstPort);
      if (r >= 0) {
        // Without SYN, FIN or RST a packet changes only when the connection was last seen (see step): the
        // last ACK of nearly every connection, handled in place instead of as a flow again.
        if ((p.flags & (TCP_SYN | TCP_FIN | TCP_RST)) !== 0) return this.revive(r, p);
        this.closed.touch(r, this.number, this.timeUs);
        return undefined;
      }
    }
    if (this.flows.size + this.closed.size >= this.maxFlows) {
      this.untrackedPackets++;
      return undefined;
    }
    this.tuples++;
    const synAck = (p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const forward = syn || !synAck;
    const flow = newFlow();
    flow.cIp = forward ? p.srcNum : p.dstNum;
    flow.cPort = forward ? p.srcPort : p.dstPort;
    flow.sIp = forward ? p.dstNum : p.srcNum;
    flow.sPort = forward ? p.dstPort : p.srcPort;
    flow.cText = forward ? srcV6 : dstV6;
    flow.sText = forward ? dstV6 : srcV6;
    flow.cAddr = forward ? srcText(p) : dstText(p);
    flow.sAddr = forward ? dstText(p) : srcText(p);
    flow.lastNumber = this.number;
    flow.lastUs = this.timeUs;
    // A flow that starts with a SYN-ACK may be a reordered handshake: mid-stream only if no SYN follows.
    flow.midstreamPending = synAck;
    if (!syn && !synAck) this.midstream++;
    this.flows.add(flow);
    return flow;
  }

  /** A closed connection's record as a flow again, in the live table, for a packet on its tuple. */
  private revive(r: number, p: DecodedPacket): Flow {
    const flow = newFlow();
    flow.judged = true;
    this.closed.take(r, flow);
    const forward = p.srcNum === flow.cIp && p.srcPort === flow.cPort;
    flow.cAddr = forward ? srcText(p) : dstText(p);
    flow.sAddr = forward ? dstText(p) : srcText(p);
    this.flows.add(flow);
    return flow;
  }

  /**
   * After a packet: an IPv4 connection that is closed and judged (no attempt open) leaves the live table for
   * the compact one. IPv6 flows stay (their addresses are text, and they are rare).
   */
  private settle(flow: Flow): void {
    if (!flow.judged || flow.attempt !== undefined || flow.cText !== undefined) return;
    this.flows.delete(flow);
    this.recentSyns.forget(flow);
    this.closed.store(flow);
  }

  /** A reset: refused by the server before any SYN-ACK, or given up by the client after one; the flow ends. */
  private rst(flow: Flow, fromClient: boolean): void {
    const a = flow.attempt;
    if (a && !a.established && !a.reset && a.synAckCount === 0 && !fromClient)
      a.reset = { number: this.number, timeUs: this.timeUs, byServer: true };
    if (a && !a.established && a.synAckCount > 0 && fromClient) a.clientReset ??= this.here();
    this.close(flow);
  }

  /**
   * The flow closed (both FINs, or a reset). An established attempt can change no more (every later change
   * is to an attempt not yet established): judge it now and keep only the tuple's record, so that a capture
   * of many short connections holds the live ones, not all of them.
   */
  private close(flow: Flow): void {
    flow.closedNumber = this.number;
    flow.closedUs = this.timeUs;
    const a = flow.attempt;
    if (a?.established) {
      this.finish(flow, a);
      flow.attempt = undefined;
      flow.judged = true;
    }
  }

  /** A SYN-ACK from the server: before any SYN (a reordered capture), or the answer to the attempt. */
  private synAck(flow: Flow): void {
    const a = flow.attempt;
    if (!a) {
      if (!flow.judged) flow.earlySynAck ??= this.here();
    } else if (!a.established) {
      const ref = this.here();
      a.synAckCount++;
      a.firstSynAck ??= ref;
      a.lastSynAck = ref;
      if (a.ackBeforeSynAck) a.established = true;
    }
  }

  private fin(flow: Flow, fromClient: boolean): void {
    if (fromClient) flow.clientFin = true;
    else flow.serverFin = true;
    if (flow.clientFin && flow.serverFin) this.close(flow);
  }

  private syn(flow: Flow, p: DecodedPacket, beforeNumber: number, beforeUs: number): void {
    const ref = this.here();
    this.timestamp(p, ref);
    const a = flow.attempt;
    // the flow keeps the ISN as int32 (a small integer to V8, like the addresses)
    const isn = p.seq | 0;
    if (a && isn === flow.isn) {
      a.synCount++;
      a.secondSyn ??= ref;
      a.lastSyn = ref;
      return;
    }
    // the SYN of a connection already closed and judged, seen again: nothing new
    if (flow.judged && isn === flow.isn) return;
    let previous: Attempt['previous'];
    if (a) {
      if (a.established)
        previous =
          flow.closedNumber >= 0
            ? { number: flow.closedNumber, timeUs: flow.closedUs, closed: true }
            : { number: beforeNumber, timeUs: beforeUs, closed: false };
      this.finish(flow, a);
    } else if (flow.judged) previous = { number: flow.closedNumber, timeUs: flow.closedUs, closed: true };
    flow.judged = false;
    flow.isn = isn;
    flow.clientFin = flow.serverFin = false;
    flow.closedNumber = -1;
    // every field present from the start: attempts keep one shape (a field added later changes the object's
    // map, and the code optimised for the first map is thrown away)
    flow.attempt = {
      client: '',
      server: '',
      firstSyn: ref,
      secondSyn: undefined,
      lastSyn: ref,
      synCount: 1,
      synAckCount: 0,
      firstSynAck: undefined,
      lastSynAck: undefined,
      established: false,
      reset: undefined,
      icmp: undefined,
      previous,
      bareAck: undefined,
      simultaneousOpen: undefined,
      ackBeforeSynAck: undefined,
      translatedTo: undefined,
      translatedFrom: undefined,
      clientReset: undefined,
    };
    flow.midstreamPending = false;
    const originalFlow = this.recentSyns.find(flow.cIp, flow.cPort, flow.isn, flow.cText);
    const original = originalFlow !== flow ? originalFlow?.attempt : undefined;
    if (
      original &&
      originalFlow &&
      !sameServer(originalFlow, flow) &&
      ref.timeUs - original.lastSyn.timeUs <= REORDER_US
    ) {
      original.translatedTo = serverOf(flow);
      flow.attempt.translatedFrom = serverOf(originalFlow);
    } else this.recentSyns.remember(flow);
    const early = flow.earlySynAck;
    flow.earlySynAck = undefined;
    if (early && Math.abs(ref.timeUs - early.timeUs) <= REORDER_US) {
      // the SYN-ACK was captured first: it answers this SYN
      flow.attempt.synAckCount = 1;
      flow.attempt.firstSynAck = early;
      flow.attempt.lastSynAck = early;
    }
    this.attempts++;
  }

  private timestamp(p: DecodedPacket, ref: PacketRef): void {
    if (p.tsval < 0) return;
    const address = srcText(p);
    let s = this.tsSources.get(address);
    if (!s) {
      s = { address, syns: 0, connections: 0, clocks: 0, backwards: 0, examples: [], bases: [] };
      this.tsSources.set(address, s);
    }
    s.syns++;
    const last = s.last;
    if (!last || last.port !== p.srcPort) {
      s.connections++;
      const base = (p.tsval - Math.round(ref.timeUs / 1000)) | 0;
      if (s.bases.length < MAX_CLOCKS && !s.bases.some((b) => Math.abs((base - b) | 0) <= CLOCK_SLACK_MS))
        s.bases.push(base);
      s.clocks = s.bases.length;
    }
    const now = { number: ref.number, timeUs: ref.timeUs, tsval: p.tsval, port: p.srcPort };
    // serial-number arithmetic: TSval wraps at 2^32
    if (last && last.port !== p.srcPort && ((p.tsval - last.tsval) | 0) < 0) {
      s.backwards++;
      if (s.examples.length < EXAMPLES) s.examples.push({ earlier: last, later: now });
    }
    s.last = now;
  }

  private icmp(p: DecodedPacket, ref: PacketRef): void {
    // Port 0: the quoted segment's port was not printed (tcpdump text): the latest open attempt between the hosts.
    const flow = p.srcPort === 0 ? this.latestOpenAttempt(srcText(p), dstText(p), p.dstPort) : this.quotedFlow(p);
    const a = flow?.attempt;
    if (a && !a.established && !a.icmp) a.icmp = { ...ref, type: p.icmpType, code: p.icmpCode, from: p.icmpFrom };
  }

  /** The flow of the segment an ICMP error quotes, which went client → server (not a flow the other way round). */
  private quotedFlow(p: DecodedPacket): Flow | undefined {
    const flow = this.flows.get(
      p.srcNum,
      p.srcPort,
      p.dstNum,
      p.dstPort,
      p.v6 ? p.src : undefined,
      p.v6 ? p.dst : undefined,
    );
    return flow && flow.cPort === p.srcPort && flow.cAddr === srcText(p) ? flow : undefined;
  }

  private latestOpenAttempt(clientIp: string, serverIp: string, serverPort: number): Flow | undefined {
    let best: Flow | undefined;
    for (const f of this.flows.list()) {
      const a = f.attempt;
      if (!a || a.established || a.icmp || f.cAddr !== clientIp || f.sAddr !== serverIp) continue;
      if (serverPort !== 0 && f.sPort !== serverPort) continue;
      if (!best || a.lastSyn.number > best.attempt!.lastSyn.number) best = f;
    }
    return best;
  }

  /**
   * Judges an attempt of `flow`. Most are plain successes, counted and dropped; the rest are named (client and
   * server as text) and counted in their group. Naming only those saved two strings per connection.
   */
  private finish(flow: Flow, a: Attempt): void {
    if (!a.established || a.previous || a.secondSyn) {
      a.client = clientOf(flow);
      a.server = serverOf(flow);
    }
    // A challenge ACK is reported as such (with the old connection when the capture holds it), not twice.
    if (!a.bareAck && a.previous && (!a.previous.closed || a.firstSyn.timeUs - a.previous.timeUs < TIME_WAIT_US))
      this.group('reusedTuples', a.server, a);
    if (a.established) {
      this.established++;
      if (a.secondSyn && a.firstSynAck && a.firstSynAck.timeUs >= a.secondSyn.timeUs)
        this.group('retransmittedThenEstablished', a.server, a);
    } else if (a.simultaneousOpen) this.established++;
    // the original of a DNAT-ed SYN: its story is told by the translated copy
    else if (a.translatedTo) return;
    else if (a.translatedFrom && a.synAckCount > 0 && a.clientReset)
      this.group('replyNotTranslated', a.translatedFrom, a);
    else if (a.bareAck) this.group('answeredWithAck', a.server, a);
    else if (a.icmp) this.group('icmpUnreachable', `${a.server} icmp ${a.icmp.type}/${a.icmp.code}`, a);
    else if (a.reset) this.refused++;
    else if (a.synAckCount >= 2) this.group('synAckUnacknowledged', a.server, a);
    else if (a.synAckCount === 0) this.group('unanswered', a.server, a);
  }

  /** Counts the attempt in its group; the examples are the group's earliest attempts, whenever each was judged. */
  private group(kind: keyof HandshakeTracker['groups'], key: string, a: Attempt): void {
    const map = this.groups[kind];
    const g = map.get(key);
    if (!g) {
      map.set(key, { key, server: a.server, count: 1, examples: [a] });
      return;
    }
    g.count++;
    const examples = g.examples;
    const at = examples.findIndex((e) => e.firstSyn.number > a.firstSyn.number);
    if (at >= 0) examples.splice(at, 0, a);
    else examples.push(a);
    if (examples.length > EXAMPLES) examples.pop();
  }

  /** Flows idle for two TIME_WAIT periods can no longer matter: finish and forget them. */
  private sweep(): void {
    this.sinceSweep = 0;
    this.flows.deleteWhere(
      (flow) => this.nowUs - flow.lastUs > IDLE_RETIRE_US,
      (flow) => {
        if (flow.midstreamPending) this.midstream++;
        if (flow.attempt) this.finish(flow, flow.attempt);
      },
    );
    this.closed.forgetIdle(this.nowUs - IDLE_RETIRE_US);
  }

  /** When the first and the last packet with a time were captured (none: the capture has no times). */
  timeSpan(): { firstUs?: number; lastUs?: number } {
    return this.firstUs === this.firstUs ? { firstUs: this.firstUs, lastUs: this.nowUs } : {};
  }

  facts(
    base: Pick<
      CaptureFacts,
      'source' | 'format' | 'linkTypes' | 'interfaces' | 'packets' | 'firstUs' | 'lastUs' | 'truncatedBytes'
    >,
  ): CaptureFacts {
    for (const flow of this.flows.list()) {
      if (flow.midstreamPending) this.midstream++;
      if (flow.attempt) this.finish(flow, flow.attempt);
    }
    this.flows.clear();
    this.closed.clear();
    const sorted = (m: Map<string, AttemptGroup>) =>
      [...m.values()].sort((x, y) => y.count - x.count || x.key.localeCompare(y.key));
    return {
      ...base,
      tcpPackets: this.tcpPackets,
      tuples: this.tuples,
      attempts: this.attempts,
      conversations: this.attempts + this.midstream,
      established: this.established,
      refused: this.refused,
      unanswered: sorted(this.groups.unanswered),
      synAckUnacknowledged: sorted(this.groups.synAckUnacknowledged),
      icmpUnreachable: sorted(this.groups.icmpUnreachable),
      retransmittedThenEstablished: sorted(this.groups.retransmittedThenEstablished),
      reusedTuples: sorted(this.groups.reusedTuples),
      answeredWithAck: sorted(this.groups.answeredWithAck),
      replyNotTranslated: sorted(this.groups.replyNotTranslated),
      untrackedPackets: this.untrackedPackets,
      timestampSources: [...this.tsSources.values()]
        .map(({ last: _last, bases: _bases, ...s }) => s)
        .sort((x, y) => y.backwards - x.backwards || x.address.localeCompare(y.address)),
    };
  }
}
