import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFrom, truncate } from '../../src/agent/conditions.js';
import { CONDITION_CLASSES } from '../../src/knowledge/node-conditions.js';
import { NODE_RULES } from '../../src/rules/index.js';
import { runNodeRules } from '../../src/rules/lib/run.js';
import { factsFrom } from '../rules/rule-tester.js';

const at = (s: string) => new Date(s);
const byType = (cs: ReturnType<typeof conditionsFrom>, type: string) => cs.find((c) => c.type === type);

describe('NodeConditions from a tick', () => {
  it('every class names rules that exist, and no rule is in two classes', () => {
    const ids = new Set(NODE_RULES.map((r) => r.id));
    const seen = new Set<string>();
    for (const cls of CONDITION_CLASSES) {
      assert.match(cls.type, /^[A-Z][A-Za-z]+$/);
      for (const r of cls.rules) {
        assert.ok(ids.has(r), `${cls.type}: ${r} is a node rule`);
        assert.ok(!seen.has(r), `${r} in one class only`);
        seen.add(r);
      }
    }
  });

  it('exhaustion bundle: EphemeralPortsExhausted True with the rule as reason; overlap clear; IPVS not applicable', async () => {
    const facts = await factsFrom('exhaustion');
    const cs = conditionsFrom(runNodeRules(facts, NODE_RULES), [], at('2026-12-01T10:00:00.123Z'));
    const ex = byType(cs, 'EphemeralPortsExhausted');
    assert.deepEqual([ex?.status, ex?.reason], ['True', 'EphemeralPortExhaustion']);
    assert.match(ex?.message ?? '', /from 127\.0\.0\.1 to 127\.0\.0\.1:8080 are used up .*10 of 10 usable ports/);
    assert.equal(ex?.lastTransitionTime, '2026-12-01T10:00:00Z', 'RFC3339 without fractions, as the API stores it');
    assert.deepEqual(
      [byType(cs, 'EphemeralRangeOverlapsNodePorts')?.status, byType(cs, 'EphemeralRangeOverlapsNodePorts')?.reason],
      ['False', 'EphemeralRangeClearOfNodePorts'],
    );
    assert.equal(byType(cs, 'IPVSStaleRealServers')?.reason, 'NotApplicable');
  });

  it('a rule that could not run makes its condition Unknown, never False', async () => {
    const facts = await factsFrom('exhaustion', { 'netns/host/proc/net/tcp': null, 'netns/host/proc/net/tcp6': null });
    const cs = conditionsFrom(runNodeRules(facts, NODE_RULES), [], at('2026-12-01T10:00:00Z'));
    const ex = byType(cs, 'EphemeralPortsExhausted');
    assert.deepEqual([ex?.status, ex?.reason], ['Unknown', 'NotChecked']);
    assert.match(ex?.message ?? '', /proc\/net\/tcp/);
  });

  it('lastTransitionTime moves only when the status does; the heartbeat every tick', async () => {
    const run = runNodeRules(await factsFrom('exhaustion'), NODE_RULES);
    const first = conditionsFrom(run, [], at('2026-12-01T10:00:00Z'));
    const second = conditionsFrom(run, first, at('2026-12-01T10:00:30Z'));
    const ex = byType(second, 'EphemeralPortsExhausted');
    assert.equal(ex?.lastTransitionTime, '2026-12-01T10:00:00Z');
    assert.equal(ex?.lastHeartbeatTime, '2026-12-01T10:00:30Z');
    const fixed = runNodeRules(
      await factsFrom('exhaustion', { 'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 32768\t60999\n' }),
      NODE_RULES,
    );
    const third = byType(conditionsFrom(fixed, second, at('2026-12-01T10:01:00Z')), 'EphemeralPortsExhausted');
    assert.deepEqual([third?.status, third?.lastTransitionTime], ['False', '2026-12-01T10:01:00Z']);
  });

  it('truncate cuts on a character and stays within the byte limit', () => {
    const t = truncate('→'.repeat(40), 80);
    assert.ok(Buffer.byteLength(t) <= 80);
    assert.ok(t.endsWith('…'));
    assert.equal(truncate('short', 80), 'short');
  });
});
