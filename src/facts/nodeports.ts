import { optionValues, type IptablesRule } from '../parsers/iptables-save.js';
import { IPTABLES_SAVES, type NetnsFacts } from './types.js';

/** A NodePort a Service holds, as kube-proxy's KUBE-NODEPORTS (iptables mode) or KUBE-NODE-PORT rules show it. */
interface KnownNodePort {
  port: number;
  /** kube-proxy's comment: "default/web:http" */
  service?: string;
  rule: IptablesRule;
  /** the save command that printed the rule */
  source: string;
}

const NODEPORT_CHAINS = new Set(['KUBE-NODEPORTS', 'KUBE-NODE-PORT']);

/** TCP NodePorts in use on this namespace's rules, by port (the first rule seen for each). */
export function knownNodePorts(netns: NetnsFacts): Map<number, KnownNodePort> {
  const out = new Map<number, KnownNodePort>();
  for (const save of IPTABLES_SAVES) {
    const ruleset = netns.iptables[save];
    if (!ruleset) continue;
    for (const table of ruleset.tables.values()) {
      for (const rule of table.rules) {
        if (!NODEPORT_CHAINS.has(rule.chain) || !isTcp(rule)) continue;
        for (const { value, negated } of optionValues(rule, '--dport')) {
          const port = Number(value);
          if (negated || !/^\d+$/.test(value) || port < 1 || port > 65535 || out.has(port)) continue;
          out.set(port, { port, service: rule.comment, rule, source: save });
        }
      }
    }
  }
  return out;
}

function isTcp(rule: IptablesRule): boolean {
  const p = optionValues(rule, '-p')[0] ?? optionValues(rule, '--protocol')[0];
  return p !== undefined && !p.negated && p.value.toLowerCase() === 'tcp';
}
