/** `netdoctor trace` as text: per backend, each way the connection can go, likeliest first, with its steps. */
import type { TraceResult } from '../engine.js';
import type { Leaf } from '../trace/walk.js';
import type { RouteAnswer } from '../trace/route.js';
import { safeForTerminal } from './terminal.js';
import { endpointKey } from '../model/address.js';

/** A share as people say it: "1/3" also for kube-proxy's 0.33332999982 (older versions print 11 digits). */
function fraction(p: number): string {
  if (p === 0) return '0';
  for (const d of [2, 3, 4, 5, 6, 8, 10, 12]) {
    const n = Math.round(p * d);
    if (n > 0 && Math.abs(n / d - p) < 5e-5) return n === d ? '1' : `${n}/${d}`;
  }
  return p.toFixed(4);
}

function outcome(l: Leaf): string {
  const to = endpointKey(l.packet.dst, l.packet.dport);
  const snat = l.snat ? `, source NAT: ${l.snat}` : '';
  switch (l.verdict.kind) {
    case 'accepted':
      return `→ ${to}${snat}`;
    case 'dropped':
      return `dropped (on its way to ${to})`;
    case 'rejected':
      return `rejected (${l.verdict.with}): the client sees "connection refused" or "no route to host"`;
    case 'missing-chain':
      return `jumps to ${l.verdict.chain}, which does not exist in this backend: the rules that jump there were never loaded together (a restore that failed), or they live in the other backend`;
    case 'unexplored':
      return `not followed further: the rules open more than 512 ways (the share shown was not traced)`;
    case 'too-deep':
      return 'jumps too deep (a loop?)';
  }
}

export function renderTraceText(result: TraceResult): string {
  const r = safeForTerminal(result);
  const p = r.packet;
  const lines = [
    `trace ${p.proto} ${p.dst}:${p.dport}${p.src ? ` from ${p.src}${p.sport ? `:${p.sport}` : ''}` : ''} — a new connection ${r.origin === 'local' ? 'from this node (OUTPUT, POSTROUTING)' : 'arriving at this node (PREROUTING, then INPUT or FORWARD)'}`,
    ...(p.src ? [] : ['source: not given (--from), so taken to be outside every -s range of the rules']),
    'a share followed by "?" holds if the matches listed under it go the way they say (they could not be decided here)',
    'notRead' in r.routes
      ? `routes: not read (${r.routes.notRead}): the hop after the rules is not shown`
      : `routes: ${r.routes.source}`,
    'notRead' in r.ipsets
      ? `ipsets: not read (${r.ipsets.notRead}): -m set matches are followed both ways`
      : `ipsets: ${r.ipsets.sets} set${r.ipsets.sets === 1 ? '' : 's'} from ${r.ipsets.source}`,
  ];
  for (const reason of r.inputsNotRead) lines.push(`not read: ${reason}`);
  if (r.backends.length === 0) lines.push('', 'no iptables-save output was read: only IPVS is shown');
  for (const b of [...r.backends].sort((a, c) => c.kubeChains - a.kubeChains)) {
    lines.push(
      '',
      `${b.save} (${b.kubeChains > 0 ? `${b.kubeChains} KUBE chain${b.kubeChains === 1 ? '' : 's'} in nat` : 'no kube-proxy chains'}), ${b.source}`,
    );
    const changed = b.leaves.filter((l) => l.steps.length > 0);
    if (changed.length === 0) {
      lines.push('  no rule applies: the packet goes on unchanged');
      continue;
    }
    for (const l of [...b.leaves].sort((a, c) => c.probability - a.probability)) {
      lines.push(`  ${fraction(l.probability).padStart(5)}${l.assumed.length > 0 ? '?' : ' '} ${outcome(l)}`);
      for (const a of l.assumed) lines.push(`         if it ${a}`);
      for (const s of l.steps)
        lines.push(
          `         ${`${s.table} ${s.chain}`.padEnd(34)} line ${String(s.line).padEnd(6)} ${s.text}${s.branch ? `   [${s.branch}]` : ''}`,
        );
      if (l.route) lines.push(...routeLines(l.route, l.packet.dst, r.origin));
    }
  }
  if (r.ipvs) lines.push(...ipvsLines(r.ipvs));
  return lines.join('\n') + '\n';
}

/**
 * What a route that does not deliver does to a new connection (measured with connect() in a namespace): from
 * this node, with the destination as the application gave it, connect() fails at once; once nat OUTPUT has
 * changed the destination the kernel routes again after it and drops the SYN, so connect() times out; an
 * arriving packet is dropped (blackhole) or answered with ICMP (kernel ip_error).
 */
function failure(kind: string, origin: TraceResult['origin'], afterNat: boolean): string | undefined {
  const atOnce: Record<string, string> = {
    blackhole: 'EINVAL (Invalid argument)',
    unreachable: 'EHOSTUNREACH (No route to host)',
    prohibit: 'EACCES (Permission denied)',
    none: 'ENETUNREACH (Network is unreachable)',
  };
  const icmp: Record<string, string> = {
    blackhole: 'dropped without an answer: the client times out',
    unreachable: 'answered with ICMP host unreachable: the client sees "No route to host"',
    prohibit: 'answered with ICMP administratively prohibited',
    none: 'answered with ICMP network unreachable',
  };
  const now = atOnce[kind];
  if (now === undefined) return undefined;
  if (origin === 'arriving') return `${kind}: ${icmp[kind] ?? 'dropped'}`;
  return afterNat
    ? `${kind} after NAT: the kernel routes again after nat OUTPUT and drops the SYN there; connect() times out (ETIMEDOUT), with no error at once`
    : `${kind}: connect() fails at once, ${now}`;
}

function routeLines(r: RouteAnswer, dst: string, origin: TraceResult['origin']): string[] {
  const out: string[] = [];
  if (!r.route)
    out.push(
      `         route: none for ${dst} in tables local, main, default; ${failure('none', origin, r.afterNat) ?? ''}`,
    );
  else {
    const hop = `out ${r.route.dev ?? (r.route.nexthops.length > 0 ? 'one of its next hops' : '?')}${r.route.via ? ` via ${r.route.via}` : ''}`;
    const what =
      r.kind === 'local'
        ? 'delivered to this node'
        : r.kind === 'unicast'
          ? hop
          : (failure(r.kind, origin, r.afterNat) ?? `${r.kind} route`);
    out.push(
      `         ${`route (${what})`.padEnd(34)} line ${String(r.route.line).padEnd(6)} ${r.route.text.trim()}   [${r.route.source}]`,
    );
  }
  if (r.caveat) out.push(`         (${r.caveat})`);
  return out;
}

function ipvsLines(v: NonNullable<TraceResult['ipvs']>): string[] {
  const out = [
    '',
    `IPVS virtual service ${v.service}${v.scheduler ? ` (${v.scheduler})` : ''}, ${v.source} line ${v.line}: after iptables, the kernel's IPVS picks the real server`,
  ];
  for (const r of v.reals) {
    const share = r.share !== undefined ? fraction(r.share).padStart(5) : '    ?';
    const entries = r.entries
      ? `; entries: ${Object.entries(r.entries)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ')}`
      : '';
    out.push(
      `  ${share}  → ${r.server}  weight ${r.weight ?? '?'}${r.draining ? ' (draining: a new connection should not go here; one that reuses an old entry still does)' : ''}${entries}`,
      `         line ${r.line}  ${r.text.trim()}`,
    );
  }
  return out;
}
