/** `netdoctor trace` as text: per backend, each way the connection can go, likeliest first, with its steps. */
import type { TraceResult } from '../engine.js';
import type { Leaf } from '../trace/walk.js';
import { safeForTerminal } from './terminal.js';

function fraction(p: number): string {
  if (p === 0) return '0';
  for (const d of [2, 3, 4, 5, 6, 8, 10, 12]) {
    const n = Math.round(p * d);
    if (n > 0 && Math.abs(n / d - p) < 1e-6) return n === d ? '1' : `${n}/${d}`;
  }
  return p.toFixed(4);
}

function outcome(l: Leaf): string {
  const to = l.packet.dst.includes(':') ? `[${l.packet.dst}]:${l.packet.dport}` : `${l.packet.dst}:${l.packet.dport}`;
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
  ];
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
    }
  }
  if (r.ipvs) lines.push(...ipvsLines(r.ipvs));
  return lines.join('\n') + '\n';
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
