/**
 * Where a new connection goes through one iptables backend: the packet walked through the tables and chains
 * in the kernel's order, with kube-proxy's matches and targets applied — address and port matches with
 * negation, protocols, marks (MARK set, -m mark test), `-m statistic` (random and nth) as branches with
 * their probabilities, `--ctstate`/`--state` for a NEW connection, addrtype LOCAL from the node's
 * addresses, DNAT/SNAT/MASQUERADE/REDIRECT, jumps, gotos, RETURN, policies, REJECT and DROP. A match it does
 * not model makes the path branch "may match", with the reason: never a silent guess.
 */
import { optionValues, ruleWords, rulesOf, type IptablesRule, type Ruleset } from '../parsers/iptables-save.js';
import { inCidr } from '../model/address.js';
import { matchSet } from './ipset.js';
import type { IpSets } from '../parsers/ipset-save.js';

export interface Packet {
  proto: 'tcp' | 'udp';
  src?: string;
  sport?: number;
  dst: string;
  dport: number;
  mark: number;
}

export interface Step {
  table: string;
  chain: string;
  line: number;
  text: string;
  /** why this rule was taken, when it was a branch */
  branch?: string;
}

export type Verdict =
  | { kind: 'accepted' }
  | { kind: 'dropped' }
  | { kind: 'rejected'; with: string }
  | { kind: 'missing-chain'; chain: string }
  | { kind: 'too-deep' }
  /** the walk stopped branching here (more than MAX_SPLITS ways): this share was not followed further */
  | { kind: 'unexplored' };

export interface Leaf {
  /** the share of new connections that go this way, given the `assumed` answers (exact: statistic arithmetic) */
  probability: number;
  /** matches the walker could not decide, and which way this path took them */
  assumed: string[];
  packet: Packet;
  snat?: string;
  verdict: Verdict;
  steps: Step[];
}

export interface WalkOptions {
  /** a locally generated packet (OUTPUT, POSTROUTING) or one arriving from outside (PREROUTING, INPUT/FORWARD) */
  origin: 'local' | 'arriving';
  /** the node's own addresses: `-m addrtype --dst-type LOCAL` and whether an arriving packet is for us */
  localAddresses?: Set<string>;
  /** the sets of `ipset save`: `-m set --match-set` is decided from them (else followed both ways) */
  ipsets?: IpSets;
  /** the interface the route for a destination leaves by (`-o` tests); undefined when routes were not read */
  outInterface?: (dst: string) => string | undefined;
  /** the interface an arriving packet came in on (`--in`; `-i` tests) */
  inInterface?: string;
}

const MAX_DEPTH = 64;
/** Branches a walk may open (statistic rules and undecidable matches): k undecidable rules make 2^k ways. */
const MAX_SPLITS = 512;

/** The options, and the branches this walk may still open. */
type Walk = WalkOptions & { budget: { splits: number } };

/** The kernel's order for a new connection's first packet: [table, chain] hooks. */
function hooks(origin: WalkOptions['origin'], toLocal: () => boolean): [string, string][] {
  if (origin === 'local')
    return [
      ['raw', 'OUTPUT'],
      ['mangle', 'OUTPUT'],
      ['nat', 'OUTPUT'],
      ['filter', 'OUTPUT'],
      ['mangle', 'POSTROUTING'],
      ['nat', 'POSTROUTING'],
    ];
  const pre: [string, string][] = [
    ['raw', 'PREROUTING'],
    ['mangle', 'PREROUTING'],
    ['nat', 'PREROUTING'],
  ];
  // after PREROUTING's DNAT the route decides: to this node (INPUT) or through it (FORWARD)
  return toLocal()
    ? [...pre, ['mangle', 'INPUT'], ['filter', 'INPUT'], ['nat', 'INPUT']]
    : [...pre, ['mangle', 'FORWARD'], ['filter', 'FORWARD'], ['mangle', 'POSTROUTING'], ['nat', 'POSTROUTING']];
}

interface Path {
  probability: number;
  assumed: string[];
  packet: Packet;
  snat?: string;
  steps: Step[];
}

/** Every way the packet can go through `ruleset`, with probabilities summing to 1. */
export function walk(ruleset: Ruleset, start: Packet, opts: WalkOptions): Leaf[] {
  const leaves: Leaf[] = [];
  const walkOpts: Walk = { ...opts, budget: { splits: MAX_SPLITS } };
  let paths: Path[] = [{ probability: 1, assumed: [], packet: { ...start }, steps: [] }];
  // PREROUTING runs before the routing decision; the hooks after it depend on the (possibly DNATed) packet
  const hookList = (p: Path) =>
    hooks(opts.origin, () => opts.localAddresses?.has(p.packet.dst) ?? false).filter(([t]) => ruleset.tables.has(t));
  for (let stage = 0; stage < 10 && paths.length > 0; stage++) {
    const next: Path[] = [];
    for (const p of paths) {
      const hook = hookList(p)[stage];
      if (!hook) {
        leaves.push({ ...p, verdict: { kind: 'accepted' } });
        continue;
      }
      for (const out of runChain(ruleset, hook[0], hook[1], p, walkOpts, 0)) {
        if (out.kind === 'verdict') leaves.push({ ...out.path, verdict: out.verdict });
        else next.push(out.path);
      }
    }
    paths = next;
  }
  for (const p of paths) leaves.push({ ...p, verdict: { kind: 'accepted' } });
  return mergeUndecided(leaves);
}

/**
 * An undecided match whose two ways end alike (same outcome, same share) did not matter: the leaves are
 * one, and only the assumptions they share are kept.
 */
function mergeUndecided(leaves: Leaf[]): Leaf[] {
  const decided = leaves.filter((l) => l.assumed.length === 0);
  const byOutcome = new Map<string, Leaf>();
  for (const l of leaves) {
    if (l.assumed.length === 0) continue;
    const key = JSON.stringify([l.verdict, l.packet.dst, l.packet.dport, l.snat, l.probability.toFixed(12)]);
    const seen = byOutcome.get(key);
    if (seen) seen.assumed = seen.assumed.filter((a) => l.assumed.includes(a));
    else byOutcome.set(key, { ...l, assumed: [...l.assumed] });
  }
  return [...decided, ...byOutcome.values()];
}

/** One way out of a chain. */
type Outcome =
  /** sealed: dropped, rejected, a missing chain */
  | { kind: 'verdict'; path: Path; verdict: Verdict }
  /** ACCEPT or a NAT target: this hook is done, the next one follows */
  | { kind: 'accept'; path: Path }
  /** RETURN, or the end of a user chain: the caller goes on after its jump */
  | { kind: 'return'; path: Path }
  /** a target that lets the packet go on to the next rule (MARK, LOG, none) */
  | { kind: 'continue'; path: Path };

function runChain(ruleset: Ruleset, table: string, chain: string, path: Path, opts: Walk, depth: number): Outcome[] {
  if (depth > MAX_DEPTH) return [{ kind: 'verdict', path, verdict: { kind: 'too-deep' } }];
  const t = ruleset.tables.get(table);
  const info = t?.chains.get(chain);
  if (!t || !info) return [{ kind: 'verdict', path, verdict: { kind: 'missing-chain', chain: `${table}/${chain}` } }];
  const rules = rulesOf(t, chain);
  const outs = runFrom(ruleset, rules, 0, path, opts, depth);
  if (!info.builtin) return outs;
  // the end of a built-in chain (or a RETURN in it) is its policy
  return outs.map((o) =>
    o.kind !== 'return'
      ? o
      : info.policy === 'DROP'
        ? { kind: 'verdict', path: o.path, verdict: { kind: 'dropped' } }
        : { kind: 'accept', path: o.path },
  );
}

function runFrom(
  ruleset: Ruleset,
  rules: IptablesRule[],
  index: number,
  path: Path,
  opts: Walk,
  depth: number,
): Outcome[] {
  for (let i = index; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule) break;
    const m = matches(rule, path.packet, opts);
    if (m.p === 0) continue;
    const results: Outcome[] = [];
    if ((m.maybe !== undefined || m.p < 1) && --opts.budget.splits < 0)
      return [{ kind: 'verdict', path, verdict: { kind: 'unexplored' } }];
    if (m.maybe !== undefined) {
      // undecidable here: both ways, each saying what it assumed
      const miss = { ...path, assumed: [...path.assumed, `does not match: ${m.maybe}`] };
      results.push(...runFrom(ruleset, rules, i + 1, miss, opts, depth));
    } else if (m.p < 1) {
      // on the rest of the traffic the rule does not match: it goes on with the next rule
      results.push(
        ...runFrom(ruleset, rules, i + 1, { ...path, probability: path.probability * (1 - m.p) }, opts, depth),
      );
    }
    const hit: Path = {
      ...path,
      probability: path.probability * m.p,
      assumed: m.maybe !== undefined ? [...path.assumed, `matches: ${m.maybe}`] : path.assumed,
      packet: { ...path.packet },
      steps: [
        ...path.steps,
        {
          table: rule.table,
          chain: rule.chain,
          line: rule.line,
          text: rule.text,
          ...(m.branch ? { branch: m.branch } : {}),
        },
      ],
    };
    for (const out of apply(ruleset, rule, hit, opts, depth)) {
      if (out.kind === 'continue') results.push(...runFrom(ruleset, rules, i + 1, out.path, opts, depth));
      else results.push(out);
    }
    return results;
  }
  return [{ kind: 'return', path }];
}

/** What a matched rule's target does to the path. */
function apply(ruleset: Ruleset, rule: IptablesRule, path: Path, opts: Walk, depth: number): Outcome[] {
  const target = rule.target;
  const arg = (name: string) => optionValues(rule, name)[0]?.value;
  switch (target) {
    case undefined:
    case 'LOG':
    case 'NFLOG':
    case 'CT':
    case 'NOTRACK':
    case 'CONNMARK':
    case 'TCPMSS':
      return [{ kind: 'continue', path }];
    case 'ACCEPT':
      return [{ kind: 'accept', path }];
    case 'DROP':
      return [{ kind: 'verdict', path, verdict: { kind: 'dropped' } }];
    case 'REJECT':
      return [
        { kind: 'verdict', path, verdict: { kind: 'rejected', with: arg('--reject-with') ?? 'icmp-port-unreachable' } },
      ];
    case 'RETURN':
      return [{ kind: 'return', path }];
    case 'DNAT':
    case 'REDIRECT':
    case 'SNAT':
    case 'MASQUERADE':
      nat(rule, target, path);
      return [{ kind: 'accept', path }];
    case 'MARK':
      path.packet.mark = markAfter(rule, path.packet.mark);
      return [{ kind: 'continue', path }];
    default: {
      if (!ruleset.tables.get(rule.table)?.chains.has(target))
        return [{ kind: 'verdict', path, verdict: { kind: 'missing-chain', chain: `${rule.table}/${target}` } }];
      const inner = runChain(ruleset, rule.table, target, path, opts, depth + 1);
      // a jump's chain returning: on after the jump; a goto's: the chain that went there returns too
      return inner.map((o) => (o.kind === 'return' && !rule.goto ? { kind: 'continue', path: o.path } : o));
    }
  }
}

/** What a NAT target does to the new connection: its destination (DNAT, REDIRECT) or its source (SNAT, MASQUERADE). */
function nat(rule: IptablesRule, target: string, path: Path): void {
  const arg = (name: string) => optionValues(rule, name)[0]?.value;
  if (target === 'DNAT') {
    const to = arg('--to-destination');
    if (to) Object.assign(path.packet, endpointOf(to, path.packet));
  } else if (target === 'REDIRECT') {
    const port = Number(arg('--to-ports'));
    path.packet.dst = '127.0.0.1';
    if (Number.isInteger(port) && port > 0) path.packet.dport = port;
  } else if (target === 'SNAT') path.snat = arg('--to-source') ?? 'SNAT';
  else path.snat = `MASQUERADE${rule.text.includes('--random-fully') ? ' --random-fully' : ''}`;
}

/** The packet mark after `-j MARK` (--set-xmark/--set-mark value/mask, --or-mark, --and-mark, --xor-mark). */
function markAfter(rule: IptablesRule, mark: number): number {
  const arg = (name: string) => optionValues(rule, name)[0]?.value;
  const set = arg('--set-xmark') ?? arg('--set-mark');
  let out = mark;
  if (set) {
    const [v, m] = set.split('/').map((x) => Number(x));
    const mask = m === undefined || Number.isNaN(m) ? 0xffffffff : m;
    out = ((out & ~mask) ^ (v ?? 0)) >>> 0;
  }
  const or = arg('--or-mark');
  const and = arg('--and-mark');
  const xor = arg('--xor-mark');
  if (or) out = (out | Number(or)) >>> 0;
  if (and) out = (out & Number(and)) >>> 0;
  if (xor) out = (out ^ Number(xor)) >>> 0;
  return out;
}

/** `--to-destination` "10.244.0.5:8080", "10.244.0.5" or "[fd00::5]:8080": the new destination. */
function endpointOf(to: string, p: Packet): { dst: string; dport: number } {
  const m = /^(?:\[([^\]]+)\]|([\d.]+))(?::(\d+))?$/.exec(to);
  const dst = m?.[1] ?? m?.[2];
  return dst ? { dst, dport: m?.[3] ? Number(m[3]) : p.dport } : { dst: p.dst, dport: p.dport };
}

/**
 * How much of the traffic the rule matches: 0, 1 or a statistic's probability — and, when a match cannot be
 * decided here, `maybe` names it: the walk then follows both ways, each labelled, with no probability made up.
 */
interface Match {
  p: number;
  branch?: string;
  maybe?: string;
}

/** One option's verdict on the packet: no match (false), a share of it, or a match it cannot decide. */
type OptionTest = false | { share?: number; branch?: string; maybe?: string } | undefined;

type Tester = (value: string, negated: boolean, packet: Packet, opts: WalkOptions, option: string) => OptionTest;

const either = (ok: boolean, negated: boolean): OptionTest => ((negated ? !ok : ok) ? undefined : false);

const port =
  (field: 'dport' | 'sport'): Tester =>
  (v, neg, p, _o, option) => {
    const value = p[field];
    if (value === undefined) return { maybe: `${option} ${v} (no source port given)` };
    return either(inPorts(value, v), neg);
  };

const addrtype: Tester = (v, neg, p, opts, option) => {
  // a packet this node sends, with no --from: its source is one of the node's own addresses
  if (option === '--src-type' && p.src === undefined && opts.origin === 'local' && v === 'LOCAL')
    return either(true, neg);
  const addr = option === '--dst-type' ? p.dst : p.src;
  if (v !== 'LOCAL' || !opts.localAddresses || addr === undefined)
    return { maybe: `-m addrtype ${neg ? '! ' : ''}${option} ${v} (the node's addresses are not known here)` };
  return either(opts.localAddresses.has(addr), neg);
};

/** iptables names an interface exactly, or by prefix with a trailing "+" ("veth+"). */
const interfaceIs = (name: string, pattern: string) =>
  pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

const inInterfaceTest: Tester = (v, neg, _p, opts, option) =>
  opts.origin === 'arriving' && opts.inInterface !== undefined
    ? either(interfaceIs(opts.inInterface, v), neg)
    : { maybe: `${neg ? '! ' : ''}${option} ${v} (the interface it arrives on is not given: --in IFACE)` };

const outInterfaceTest: Tester = (v, neg, p, opts, option) => {
  const dev = opts.outInterface?.(p.dst);
  return dev !== undefined
    ? either(interfaceIs(dev, v), neg)
    : { maybe: `${neg ? '! ' : ''}${option} ${v} (no route read for ${p.dst})` };
};

/** `--match-set NAME FLAGS`: the value carries both words. */
const setTest: Tester = (v, neg, p, opts) => {
  const [name = '', flags = ''] = v.split(' ');
  if (!opts.ipsets)
    return {
      maybe: `${neg ? '! ' : ''}--match-set ${name} ${flags} (the sets were not read: send \`ipset save\` with the rules)`,
    };
  const verdict = matchSet(opts.ipsets, name, flags, p);
  if ('maybe' in verdict) return { maybe: verdict.maybe };
  return either(verdict.match, neg);
};

/** Modules whose matches depend on state a save does not show. */
const UNMODELLED = new Set(['recent', 'socket', 'owner', 'physdev', 'string', 'u32', 'bpf', 'cgroup']);

/** The options the walker decides, by the word that names them (long spellings added below). */
const SHORT_TESTERS = {
  // no --from: the node's own address, outside every -s range of the rules (the trace's header says so)
  '-s': (v, neg, p) => either(p.src !== undefined && inCidr(p.src, v), neg),
  '-d': (v, neg, p) => either(inCidr(p.dst, v), neg),
  '-p': (v, neg, p) => either(v === 'all' || v === p.proto, neg),
  '--dport': port('dport'),
  '--sport': port('sport'),
  '--dports': (v, neg, p) =>
    either(
      v.split(',').some((x) => inPorts(p.dport, x)),
      neg,
    ),
  '--mark': (v, neg, p) => {
    const [value, mask] = v.split('/').map(Number);
    const m = mask === undefined || Number.isNaN(mask) ? 0xffffffff : mask;
    return either((p.mark & m) >>> 0 === ((value ?? 0) & m) >>> 0, neg);
  },
  // a new connection's first packet: NEW (DNAT/SNAT states once a NAT rule applied are not modelled)
  '--ctstate': (v, neg) => either(v.split(',').includes('NEW'), neg),
  '--dst-type': addrtype,
  '--src-type': addrtype,
  '--probability': (v, neg) => ({
    share: neg ? 1 - Number(v) : Number(v),
    branch: `statistic: probability ${Number(v).toFixed(5)}`,
  }),
  '--every': (v) => {
    const n = Number(v);
    return { share: n > 0 ? 1 / n : 1, branch: `statistic nth: 1 in ${n} (depends on the packets before)` };
  },
  '-i': inInterfaceTest,
  '-o': outInterfaceTest,
  '--match-set': setTest,
  // `-m set` is decided by its --match-set (from the sets read, or said undecided there, with the set's name)
  '-m': (v) =>
    UNMODELLED.has(v) ? { maybe: `-m ${v} (not modelled: depends on state the save does not show)` } : undefined,
} satisfies Record<string, Tester>;
const TESTERS: Record<string, Tester> = {
  ...SHORT_TESTERS,
  '--source': SHORT_TESTERS['-s'],
  '--destination': SHORT_TESTERS['-d'],
  '--protocol': SHORT_TESTERS['-p'],
  '--destination-port': SHORT_TESTERS['--dport'],
  '--source-port': SHORT_TESTERS['--sport'],
  '--state': SHORT_TESTERS['--ctstate'],
  '--in-interface': SHORT_TESTERS['-i'],
  '--out-interface': SHORT_TESTERS['-o'],
};

function matches(rule: IptablesRule, packet: Packet, opts: WalkOptions): Match {
  const words = ruleWords(rule);
  const out: Match = { p: 1 };
  for (let i = 0; i < words.length; i++) {
    const option = words[i] ?? '';
    const tester = TESTERS[option];
    if (!tester) continue;
    // --match-set takes two words: the set's name and its direction flags
    const value = option === '--match-set' ? `${words[i + 1] ?? ''} ${words[i + 2] ?? ''}` : (words[i + 1] ?? '');
    const verdict = tester(value, words[i - 1] === '!', packet, opts, option);
    if (verdict === false) return { p: 0 };
    if (!verdict) continue;
    if (verdict.share !== undefined) out.p *= verdict.share;
    if (verdict.branch) out.branch = verdict.branch;
    if (verdict.maybe) out.maybe = verdict.maybe;
  }
  return out;
}

function inPorts(port: number, spec: string): boolean {
  const [lo, hi] = spec.split(':').map(Number);
  if (lo === undefined || Number.isNaN(lo)) return false;
  return hi === undefined ? port === lo : port >= lo && port <= hi;
}
