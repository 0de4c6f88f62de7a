import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byRule, lintFixture, nonEmpty } from '../helpers.js';

const RULE = 'port-range-overlaps-nodeports';

describe(RULE, () => {
  it('invalid: the node range widened from hostNetwork pods overlaps the NodePorts', async () => {
    const found = byRule(await lintFixture(['incidents.yaml']), RULE);
    assert.deepEqual(
      found.map((f) => [f.subject.name, f.severity, f.subject.overlap]),
      [
        ['node-tuner', 'error', '30000-32767'],
        ['nightly-tune', 'error', '30000-32767'],
      ],
    );
  });

  it('only the part of the NodePort range the ephemeral range covers is named', async () => {
    const found = byRule(await lintFixture(['incidents.yaml'], { nodePortRange: '1000-2000' }), RULE);
    assert.deepEqual([...new Set(found.map((f) => f.subject.overlap))], ['1024-2000']);
  });

  it('invalid: a range starting below 1024, wherever it is declared', async () => {
    const [f] = nonEmpty(byRule(await lintFixture(['more-rules.yaml']), RULE));
    assert.equal(f.subject.name, 'low-range');
    assert.equal(f.subject.line, 63);
    assert.match(f.message, /1000-65535, starting below 1024/);
  });

  it('valid: reserved NodePorts in the same script; pod-level ranges; the clean manifests', async () => {
    const found = byRule(await lintFixture(['more-rules.yaml', 'clean.yaml']), RULE);
    assert.deepEqual(
      found.map((f) => f.subject.name),
      ['low-range'],
    );
  });
});
