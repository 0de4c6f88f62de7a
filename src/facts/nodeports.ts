import { optionValues, rulesOf, type IptablesRule, type Ruleset } from '../parsers/iptables-save.js';
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

const NODEPORT_CHAINS = ['KUBE-NODEPORTS', 'KUBE-NODE-PORT'];

/** TCP NodePorts in use on this namespace's rules, by port (the first rule seen for each). */
export function knownNodePorts(netns: NetnsFacts): Map<number, KnownNodePort> {
  const out = new Map<number, KnownNodePort>();
  for (const save of IPTABLES_SAVES) {
    const ruleset = netns.iptables[save];
    if (!ruleset) continue;
    for (const [port, rule] of nodePortRules(ruleset)) {
      if (!out.has(port)) out.set(port, { port, service: rule.comment, rule, source: save });
    }
  }
  return out;
}

const nodePortCache = new WeakMap<Ruleset, Map<number, IptablesRule>>();

/**
 * A ruleset's NodePorts and the first rule for each, from the NodePort chains' rules only (rulesOf), which the
 * fact builder and two rules all ask for, so it is made once per ruleset (336,000 rules: three scans of
 * every rule were 70 ms).
 */
function nodePortRules(ruleset: Ruleset): Map<number, IptablesRule> {
  let out = nodePortCache.get(ruleset);
  if (out) return out;
  out = new Map();
  for (const table of ruleset.tables.values()) {
    // in the table's order, as a scan of every rule would meet them
    const rules = NODEPORT_CHAINS.flatMap((chain) => rulesOf(table, chain)).sort((a, b) => a.line - b.line);
    for (const rule of rules) {
      if (!isTcp(rule)) continue;
      for (const { value, negated } of optionValues(rule, '--dport')) {
        const port = Number(value);
        if (negated || !/^\d+$/.test(value) || port < 1 || port > 65535 || out.has(port)) continue;
        out.set(port, rule);
      }
    }
  }
  nodePortCache.set(ruleset, out);
  return out;
}

function isTcp(rule: IptablesRule): boolean {
  const p = optionValues(rule, '-p')[0] ?? optionValues(rule, '--protocol')[0];
  return p !== undefined && !p.negated && p.value.toLowerCase() === 'tcp';
}
