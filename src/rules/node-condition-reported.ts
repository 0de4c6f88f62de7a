import { CONDITION_CLASSES } from '../knowledge/node-conditions.js';
import { derived, readLine, type FindingDraft } from '../model/finding.js';
import type { NodeInfo } from '../parsers/k8s-objects.js';
import { defineClusterRule } from './define-rule.js';

const TYPES = new Set(CONDITION_CLASSES.map((c) => c.type));
const SHOWN = 5;

/** The agent's conditions on a node: the ones it set, by type. */
const agentConditions = (n: NodeInfo) => n.conditions.filter((c) => TYPES.has(c.type));

const conditionLine = (n: NodeInfo, c: NodeInfo['conditions'][number]) =>
  readLine(n.source, `${n.name}: ${c.type}=${c.status} ${c.reason ?? ''}: ${(c.message ?? '').slice(0, 300)}`);

const more = (count: number) => (count > SHOWN ? [`… and ${count - SHOWN} more`] : []);

export default defineClusterRule({
  id: 'node-condition-reported',
  title: "Nodes whose netdoctor agent reports a failure (the agent's NodeConditions, across the cluster)",
  severity: 'warning',
  reads: ['Node'],
  notChecked({ cluster }) {
    return cluster.nodes.some((n) => agentConditions(n).length > 0)
      ? undefined
      : "no Node carries the agent's conditions (netdoctor agent is not deployed, or runs with --no-conditions and node-problem-detector sets them under other names)";
  },
  check({ cluster }) {
    const out: FindingDraft[] = [];
    for (const cls of CONDITION_CLASSES) {
      for (const status of ['True', 'Unknown'] as const) {
        const nodes = cluster.nodes.flatMap((n) => {
          const c = n.conditions.find((x) => x.type === cls.type && x.status === status);
          return c ? [{ n, c }] : [];
        });
        if (nodes.length === 0) continue;
        const names = nodes.map(({ n }) => n.name);
        const first = names[0] ?? '';
        out.push({
          severity: status === 'True' ? 'warning' : 'info',
          message:
            status === 'True'
              ? `${cls.type} is True on ${nodes.length} node(s) (${[...names.slice(0, SHOWN), ...more(names.length)].join(', ')}): the agent there found ${cls.rules.join(' or ')}.`
              : `${cls.type} is Unknown on ${nodes.length} node(s) (${[...names.slice(0, SHOWN), ...more(names.length)].join(', ')}): the agent could not run ${cls.rules.join(', ')} there, so the failure is neither found nor ruled out.`,
          subject: { condition: cls.type, status, nodes: nodes.length },
          evidence: nodes.slice(0, SHOWN).map(({ n, c }) => conditionLine(n, c)),
          remediation:
            status === 'True'
              ? `See the finding itself from your laptop: \`kubectl netdoctor node ${first}\` (docs: ${cls.rules.map((r) => `docs/rules/${r}.md`).join(', ')}). Verify with \`kubectl get node ${first} -o jsonpath='{.status.conditions[?(@.type=="${cls.type}")].status}'\` → False.`
              : `Read the reason in the condition's message; \`kubectl netdoctor node ${first}\` runs the same rules once and says what it could not read. Verify with \`kubectl get node ${first} -o jsonpath='{.status.conditions[?(@.type=="${cls.type}")].status}'\` → True or False.`,
        });
      }
    }
    // nodes the agent does not report on, while it does on others: a DaemonSet that does not reach them
    const silent = cluster.nodes.filter((n) => agentConditions(n).length === 0);
    if (silent.length > 0) {
      const names = silent.map((n) => n.name);
      out.push({
        severity: 'info',
        message: `${silent.length} node(s) carry none of the agent's conditions (${[...names.slice(0, SHOWN), ...more(names.length)].join(', ')}) while others do: the agent is not running there (a taint it does not tolerate, a node selector, a crash), so these nodes are not watched.`,
        subject: { nodes: silent.length, status: 'absent' },
        evidence: silent
          .slice(0, SHOWN)
          .map((n) => derived(n.source, `${n.name}: no ${[...TYPES][0] ?? ''} or other netdoctor condition`)),
        remediation: `Check the DaemonSet's pods: \`kubectl -n netdoctor get pods -o wide --field-selector spec.nodeName=${names[0] ?? ''}\`. Verify with \`kubectl get node ${names[0] ?? ''} -o jsonpath='{.status.conditions[*].type}'\` listing EphemeralPortsExhausted.`,
      });
    }
    return out;
  },
});
