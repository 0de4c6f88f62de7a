/**
 * TCP handshakes in a capture, per 4-tuple: what happened to each connection attempt (answered, refused,
 * unanswered, SYN-ACKs without the final ACK, ICMP unreachable, established after a retransmitted SYN,
 * a tuple reused soon after it closed), and per source address whether SYN timestamps go backwards.
 * Memory: one small record per live flow (idle flows are retired) and a few examples per group.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../parsers/packet.js';
import type { NonEmpty } from '../model/indexing.js';
import { endpointKey } from '../model/address.js';

export interface PacketRef {
  /** Wireshark's frame number */
  number: number;
  timeUs: number;
}

export interface Attempt {
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
/** SYNs remembered to pair a DNAT-ed copy with its original (a copy follows within microseconds) */
const MAX_ISN_MEMORY = 65_536;

interface Flow {
  client: string;
  server: string;
  isn: number;
  attempt?: Attempt;
  clientFin: boolean;
  serverFin: boolean;
  closedAt?: PacketRef;
  lastSeen: PacketRef;
  /** a SYN-ACK seen before any SYN on the flow: `tcpdump -i any` can print a reply before its request */
  earlySynAck?: PacketRef;
  /** first seen mid-connection, unless the SYN of a reordered handshake still comes */
  midstreamPending?: boolean;
}

/** How far apart a request and its reply may be captured out of order and still be paired. */
const REORDER_US = 1_000_000;

/** An ACK with no SYN, FIN or RST: from the server before its SYN-ACK, an answer to a stale connection. */
const isBareAck = (flags: number) => (flags & (TCP_ACK | TCP_RST | TCP_FIN | TCP_SYN)) === TCP_ACK;

export class HandshakeTracker {
  private readonly flows = new Map<string, Flow>();
  private readonly groups = {
    unanswered: new Map<string, AttemptGroup>(),
    synAckUnacknowledged: new Map<string, AttemptGroup>(),
    icmpUnreachable: new Map<string, AttemptGroup>(),
    retransmittedThenEstablished: new Map<string, AttemptGroup>(),
    reusedTuples: new Map<string, AttemptGroup>(),
    answeredWithAck: new Map<string, AttemptGroup>(),
    replyNotTranslated: new Map<string, AttemptGroup>(),
  };
  /** client endpoint + ISN → the attempt that SYN started, to recognise its DNAT-ed copy (bounded) */
  private readonly synByIsn = new Map<string, Attempt>();
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
  private sinceSweep = 0;
  private nowUs = 0;

  add(p: DecodedPacket, ref: PacketRef): void {
    if (ref.timeUs === ref.timeUs) this.nowUs = ref.timeUs;
    if (p.kind === 'icmp-unreachable') {
      this.icmp(p, ref);
      return;
    }
    if (p.kind !== 'tcp') return;
    this.tcpPackets++;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    const fromKey = endpointKey(p.src, p.srcPort);
    const syn = (p.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const flow = this.flowOf(p, ref, fromKey, syn);
    if (!flow) return;
    const seenBefore = flow.lastSeen;
    flow.lastSeen = ref;
    const fromClient = fromKey === flow.client;
    if (syn && fromClient) {
      this.syn(flow, p, ref, seenBefore);
      return;
    }
    const a = flow.attempt;
    if (syn && a && !a.established) {
      a.simultaneousOpen = true; // the other end's SYN crossed ours
      return;
    }
    if ((p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && !fromClient) {
      this.synAck(flow, ref);
      return;
    }
    if (a && !a.established && !fromClient && isBareAck(p.flags) && a.synAckCount === 0) {
      a.bareAck ??= ref;
      return;
    }
    if (p.flags & TCP_RST) {
      this.rst(flow, ref, fromClient);
      return;
    }
    if (a && !a.established && fromClient && p.flags & TCP_ACK) {
      if (a.synAckCount > 0 || a.simultaneousOpen) a.established = true;
      else if (!a.bareAck) a.ackBeforeSynAck = true;
    }
    if (p.flags & TCP_FIN) this.fin(flow, ref, fromClient);
  }

  /** The flow this packet belongs to, made on its first packet; undefined past the flow cap (counted). */
  private flowOf(p: DecodedPacket, ref: PacketRef, fromKey: string, syn: boolean): Flow | undefined {
    const toKey = endpointKey(p.dst, p.dstPort);
    const known = this.flows.get(`${fromKey}>${toKey}`) ?? this.flows.get(`${toKey}>${fromKey}`);
    if (known) return known;
    if (this.flows.size >= this.maxFlows) {
      this.untrackedPackets++;
      return undefined;
    }
    this.tuples++;
    const synAck = (p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const [client, server] = syn || !synAck ? [fromKey, toKey] : [toKey, fromKey];
    const flow: Flow = { client, server, isn: -1, clientFin: false, serverFin: false, lastSeen: ref };
    // A flow that starts with a SYN-ACK may be a reordered handshake: mid-stream only if no SYN follows.
    if (synAck) flow.midstreamPending = true;
    else if (!syn) this.midstream++;
    this.flows.set(`${client}>${server}`, flow);
    return flow;
  }

  /** A reset: refused by the server before any SYN-ACK, or given up by the client after one; the flow ends. */
  private rst(flow: Flow, ref: PacketRef, fromClient: boolean): void {
    const a = flow.attempt;
    if (a && !a.established && !a.reset && a.synAckCount === 0 && !fromClient) a.reset = { ...ref, byServer: true };
    if (a && !a.established && a.synAckCount > 0 && fromClient) a.clientReset ??= ref;
    flow.closedAt = ref;
  }

  /** A SYN-ACK from the server: before any SYN (a reordered capture), or the answer to the attempt. */
  private synAck(flow: Flow, ref: PacketRef): void {
    const a = flow.attempt;
    if (!a) flow.earlySynAck ??= ref;
    else if (!a.established) {
      a.synAckCount++;
      a.firstSynAck ??= ref;
      a.lastSynAck = ref;
      if (a.ackBeforeSynAck) a.established = true;
    }
  }

  private fin(flow: Flow, ref: PacketRef, fromClient: boolean): void {
    if (fromClient) flow.clientFin = true;
    else flow.serverFin = true;
    if (flow.clientFin && flow.serverFin) flow.closedAt = ref;
  }

  private syn(flow: Flow, p: DecodedPacket, ref: PacketRef, seenBefore: PacketRef): void {
    this.timestamp(p, ref);
    const a = flow.attempt;
    if (a && p.seq === flow.isn) {
      a.synCount++;
      a.secondSyn ??= ref;
      a.lastSyn = ref;
      return;
    }
    let previous: Attempt['previous'];
    if (a) {
      if (a.established)
        previous = flow.closedAt ? { ...flow.closedAt, closed: true } : { ...seenBefore, closed: false };
      this.finish(a);
    }
    flow.isn = p.seq;
    flow.clientFin = flow.serverFin = false;
    flow.closedAt = undefined;
    flow.attempt = {
      client: flow.client,
      server: flow.server,
      firstSyn: ref,
      lastSyn: ref,
      synCount: 1,
      synAckCount: 0,
      established: false,
      previous,
    };
    flow.midstreamPending = false;
    const isnKey = `${flow.client}|${p.seq}`;
    const original = this.synByIsn.get(isnKey);
    if (original && original.server !== flow.server && ref.timeUs - original.lastSyn.timeUs <= REORDER_US) {
      original.translatedTo = flow.server;
      flow.attempt.translatedFrom = original.server;
    } else {
      if (this.synByIsn.size >= MAX_ISN_MEMORY) this.synByIsn.clear();
      this.synByIsn.set(isnKey, flow.attempt);
    }
    const early = flow.earlySynAck;
    flow.earlySynAck = undefined;
    if (early && Math.abs(ref.timeUs - early.timeUs) <= REORDER_US) {
      // the SYN-ACK was captured first: it answers this SYN
      Object.assign(flow.attempt, { synAckCount: 1, firstSynAck: early, lastSynAck: early });
    }
    this.attempts++;
  }

  private timestamp(p: DecodedPacket, ref: PacketRef): void {
    if (p.tsval < 0) return;
    let s = this.tsSources.get(p.src);
    if (!s)
      this.tsSources.set(
        p.src,
        (s = { address: p.src, syns: 0, connections: 0, clocks: 0, backwards: 0, examples: [], bases: [] }),
      );
    s.syns++;
    const now = { ...ref, tsval: p.tsval, port: p.srcPort };
    if (!s.last || s.last.port !== p.srcPort) {
      s.connections++;
      const base = (p.tsval - Math.round(ref.timeUs / 1000)) | 0;
      if (!s.bases.some((b) => Math.abs((base - b) | 0) <= CLOCK_SLACK_MS) && s.bases.length < MAX_CLOCKS)
        s.bases.push(base);
      s.clocks = s.bases.length;
    }
    // serial-number arithmetic: TSval wraps at 2^32
    if (s.last && s.last.port !== p.srcPort && ((p.tsval - s.last.tsval) | 0) < 0) {
      s.backwards++;
      if (s.examples.length < EXAMPLES) s.examples.push({ earlier: s.last, later: now });
    }
    s.last = now;
  }

  private icmp(p: DecodedPacket, ref: PacketRef): void {
    // Port 0: the quoted segment's port was not printed (tcpdump text): the latest open attempt between the hosts.
    const flow =
      p.srcPort === 0
        ? this.latestOpenAttempt(p.src, p.dst, p.dstPort)
        : this.flows.get(`${endpointKey(p.src, p.srcPort)}>${endpointKey(p.dst, p.dstPort)}`);
    const a = flow?.attempt;
    if (a && !a.established && !a.icmp) a.icmp = { ...ref, type: p.icmpType, code: p.icmpCode, from: p.icmpFrom };
  }

  private latestOpenAttempt(clientIp: string, serverIp: string, serverPort: number): Flow | undefined {
    let best: Flow | undefined;
    const host = (e: string) => e.slice(0, e.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    const port = (e: string) => Number(e.slice(e.lastIndexOf(':') + 1));
    for (const f of this.flows.values()) {
      const a = f.attempt;
      if (!a || a.established || a.icmp || host(f.client) !== clientIp || host(f.server) !== serverIp) continue;
      if (serverPort !== 0 && port(f.server) !== serverPort) continue;
      if (!best || a.lastSyn.number > best.attempt!.lastSyn.number) best = f;
    }
    return best;
  }

  private finish(a: Attempt): void {
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

  private group(kind: keyof HandshakeTracker['groups'], key: string, a: Attempt): void {
    const map = this.groups[kind];
    let g = map.get(key);
    if (!g) map.set(key, (g = { key, server: a.server, count: 1, examples: [a] }));
    else {
      g.count++;
      if (g.examples.length < EXAMPLES) g.examples.push(a);
    }
  }

  /** Flows idle for two TIME_WAIT periods can no longer matter: finish and forget them. */
  private sweep(): void {
    this.sinceSweep = 0;
    for (const [key, flow] of this.flows) {
      if (this.nowUs - flow.lastSeen.timeUs > IDLE_RETIRE_US) {
        if (flow.midstreamPending) this.midstream++;
        if (flow.attempt) this.finish(flow.attempt);
        this.flows.delete(key);
      }
    }
  }

  facts(
    base: Pick<
      CaptureFacts,
      'source' | 'format' | 'linkTypes' | 'interfaces' | 'packets' | 'firstUs' | 'lastUs' | 'truncatedBytes'
    >,
  ): CaptureFacts {
    for (const flow of this.flows.values()) {
      if (flow.midstreamPending) this.midstream++;
      if (flow.attempt) this.finish(flow.attempt);
    }
    this.flows.clear();
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
