/**
 * A kube-proxy (iptables mode) style nat + filter ruleset as iptables-save prints it: per Service a
 * KUBE-SERVICES jump, a masquerade rule, one statistic rule per endpoint, and per endpoint a KUBE-SEP chain
 * with its hairpin mark and DNAT. Every fifth Service also has a NodePort. 10,000 Services × 3 endpoints
 * give about 110,000 rules. As iptables-legacy-save orders them (test/fixtures/iptables/kube-proxy.legacy.save,
 * saved from a real kernel): the built-in chains, then the user chains by name, and the rules chain by chain
 * in that order. (Until 2026-12-02 the rules came Service by Service, as kube-proxy writes its restore input,
 * which no save command prints.)
 */
import { createHash } from 'node:crypto';

function chainHash(prefix: string, key: string): string {
  // kube-proxy names chains by base32 of a sha256 of the service port name; hex is as good for a benchmark.
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 16).toUpperCase()}`;
}

export function generateKubeProxyRuleset(services: number, endpoints: number): string {
  const natChains: string[] = [
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-DROP - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-SERVICES - [0:0]',
  ];
  const natRules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  const serviceRules: string[] = [];
  for (let s = 0; s < services; s++) {
    const name = `ns${s % 100}/svc-${s}:http`;
    const vip = `10.96.${(s >> 8) & 255}.${s & 255}`;
    const svc = chainHash('KUBE-SVC', name);
    natChains.push(`:${svc} - [0:0]`);
    serviceRules.push(
      `-A KUBE-SERVICES -d ${vip}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j ${svc}`,
    );
    natRules.push(
      `-A ${svc} ! -s 10.244.0.0/16 -d ${vip}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`,
    );
    if (s % 5 === 0) {
      const nodePort = 30000 + ((s / 5) % 2767);
      natRules.push(`-A KUBE-NODEPORTS -p tcp -m comment --comment "${name}" -m tcp --dport ${nodePort} -j ${svc}`);
    }
    for (let e = 0; e < endpoints; e++) {
      const ip = `10.244.${((s * endpoints + e) >> 8) & 255}.${(s * endpoints + e) & 255}`;
      const sep = chainHash('KUBE-SEP', `${name}/${e}`);
      natChains.push(`:${sep} - [0:0]`);
      const left = endpoints - e;
      const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(11)} ` : '';
      natRules.push(`-A ${svc} -m comment --comment "${name} -> ${ip}:8080" ${pick}-j ${sep}`);
      natRules.push(`-A ${sep} -s ${ip}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      natRules.push(`-A ${sep} -p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${ip}:8080`);
    }
  }
  serviceRules.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  const filter = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A OUTPUT -j KUBE-FIREWALL',
    '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    'COMMIT',
  ];
  return ['*nat', ...asSaved(natChains, [...natRules, ...serviceRules]), 'COMMIT', ...filter, ''].join('\n');
}

/** Chain lines and rules in iptables-legacy-save's order: built-ins as declared, user chains by name, rules chain by chain. */
function asSaved(chains: string[], rules: string[]): string[] {
  const name = (line: string) => line.slice(1, line.indexOf(' '));
  const builtin = chains.filter((c) => !c.includes(' - '));
  const user = chains.filter((c) => c.includes(' - ')).sort((a, b) => (name(a) < name(b) ? -1 : 1));
  const byChain = new Map<string, string[]>();
  for (const r of rules) {
    const chain = r.slice(3, r.indexOf(' ', 3));
    const list = byChain.get(chain);
    if (list) list.push(r);
    else byChain.set(chain, [r]);
  }
  const ordered = [...builtin, ...user];
  return [...ordered, ...ordered.flatMap((c) => byChain.get(name(c)) ?? [])];
}
