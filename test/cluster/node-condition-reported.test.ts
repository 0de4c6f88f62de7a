/**
 * node-condition-reported on recorded Nodes (test/fixtures/cluster/agent-conditions: the kubeadm 1.31 Nodes of
 * cluster/overlap with the conditions `netdoctor agent` sets, as conditionsFrom writes them): worker-1 has
 * exhaustion True, worker-2 conntrack Unknown, worker-3 no agent.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeClusterDump } from '../../src/engine.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { CLUSTER_RULES } from '../../src/rules/index.js';
import { assertFindingContract } from '../rules/rule-tester.js';
import { FIXTURES } from '../helpers.js';

const rules = CLUSTER_RULES.filter((r) => r.id === 'node-condition-reported');
const run = (dump: string) =>
  analyzeClusterDump([join(FIXTURES, 'cluster', dump)], { rules, nodePortRange: DEFAULT_NODEPORT_RANGE });

describe('node-condition-reported', () => {
  it('invalid: a True condition is a warning naming its node, Unknown and absent ones are said as info', async () => {
    const report = await run('agent-conditions');
    for (const f of report.findings) assertFindingContract(f);
    assert.deepEqual(
      report.findings.map((f) => [f.severity, f.subject.condition, f.subject.status, f.subject.nodes]),
      [
        ['warning', 'EphemeralPortsExhausted', 'True', 1],
        ['info', 'ConntrackTablePressure', 'Unknown', 1],
        ['info', undefined, 'absent', 1],
      ],
    );
    const [exhausted, unknown, absent] = report.findings;
    assert.deepEqual(
      exhausted?.evidence.map((e) => `${e.kind} ${e.detail}`),
      [
        'line worker-1: EphemeralPortsExhausted=True EphemeralPortExhaustion: Ephemeral ports from 10.244.1.7 to 10.96.0.10:5432 in pod shop/web-1: 28,190 of 28,232 usable ports in use',
      ],
    );
    assert.match(exhausted?.remediation ?? '', /kubectl netdoctor node worker-1/);
    assert.match(
      unknown?.message ?? '',
      /Unknown on 1 node\(s\) \(worker-2\): the agent could not run conntrack-table-pressure/,
    );
    assert.match(absent?.message ?? '', /1 node\(s\) carry none of the agent's conditions \(worker-3\)/);
  });

  it("valid: Nodes that carry none of the agent's conditions → not checked, with the reason (never an all-clear)", async () => {
    // with a rule that can run beside it (alone, nothing could be judged: exit 2, as `cluster` says)
    const report = await analyzeClusterDump([join(FIXTURES, 'cluster', 'overlap')], {
      rules: CLUSTER_RULES.filter((r) => r.id === 'node-condition-reported' || r.id === 'nodeport-in-ephemeral-range'),
      nodePortRange: DEFAULT_NODEPORT_RANGE,
    });
    assert.ok(report.findings.every((f) => f.rule === 'nodeport-in-ephemeral-range'));
    await assert.rejects(run('overlap'), /nothing to judge/);
    assert.deepEqual(
      report.skipped.map((s) => [s.rule, s.reason]),
      [
        [
          'node-condition-reported',
          "no Node carries the agent's conditions (netdoctor agent is not deployed, or runs with --no-conditions and node-problem-detector sets them under other names)",
        ],
      ],
    );
  });
});
