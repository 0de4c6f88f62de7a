import type { NetnsFacts, NodeFacts } from '../../facts/types.js';
import { needState, type NeedState, type NodeNeed } from '../../facts/needs.js';
import { netnsSubject, type NodeRule, type NodeRuleContext } from '../define-rule.js';
import { completeFinding, sortFindings, type Finding } from '../../model/finding.js';
import type { Coverage, RuleRun, Skipped } from '../../model/coverage.js';

/** With a partial set of sysctls (one pasted file, a sysctl.conf), a key the rule reads may simply not have been given. */
function missingSysctl(rule: NodeRule, netns: NetnsFacts): string | undefined {
  const sysctls = netns.sysctls;
  if (!sysctls || netns.sysctlsComplete) return undefined;
  const missing = (rule.reads ?? []).filter((k) => !sysctls.has(k));
  return missing.length > 0
    ? `${missing.join(', ')} ${missing.length === 1 ? 'was' : 'were'} not among the sysctls read (pass \`sysctl -a\` output)`
    : undefined;
}

export function runNodeRules(facts: NodeFacts, rules: NodeRule[]): RuleRun {
  const findings: Finding[] = [];
  const skipped = new Map<string, Skipped>();
  const coverage = new Map<string, Coverage>();
  for (const netns of facts.netns)
    coverage.set(netns.meta.id, {
      node: facts.hostname,
      netns: netns.meta.id,
      ran: [],
      skipped: [],
      notApplicable: [],
    });
  for (const rule of rules) {
    for (const netns of facts.netns) {
      const cover = coverage.get(netns.meta.id)!;
      if (rule.scope === 'host' && !netns.meta.isHost) continue;
      let blocked: NeedState | undefined;
      for (const need of rule.needs) {
        const s = needState(facts, netns, need);
        if (s.state !== 'met') {
          blocked = s;
          break;
        }
      }
      const partial = blocked ? undefined : missingSysctl(rule, netns);
      if (partial) blocked = { state: 'unread', reason: partial };
      if (blocked && blocked.state !== 'met') {
        const notApplicable = blocked.state === 'absent';
        const key = `${rule.id}\0${blocked.reason}`;
        const entry = skipped.get(key) ?? {
          rule: rule.id,
          reason: blocked.reason,
          netns: [],
          ...(notApplicable ? { notApplicable } : {}),
        };
        entry.netns!.push(netns.meta.id);
        skipped.set(key, entry);
        (notApplicable ? cover.notApplicable : cover.skipped).push(rule.id);
        continue;
      }
      cover.ran.push(rule.id);
      // every need was checked above: the facts the rule's types promise are there
      const ctx = { node: facts, netns } as NodeRuleContext<NodeNeed>;
      for (const draft of rule.check(ctx)) findings.push(completeFinding(rule, draft, netnsSubject(netns)));
    }
  }
  if (!facts.netns.some((n) => n.meta.isHost)) {
    // Judged as pods only: the node-level rules had nothing to run on, and that is said, not hidden.
    for (const rule of rules.filter((r) => r.scope === 'host')) {
      skipped.set(rule.id, {
        rule: rule.id,
        reason: "the node's own network namespace was not read (pass --as-node to judge this namespace as a node)",
      });
    }
  }
  return { findings: sortFindings(findings), skipped: [...skipped.values()], coverage: [...coverage.values()] };
}
