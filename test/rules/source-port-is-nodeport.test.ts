import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeFixture, bundleFixture, byRule } from '../helpers.js';

const RULE = 'source-port-is-nodeport';

describe(RULE, () => {
  it('invalid: a connection from source port 31000 → warning with its line', async () => {
    const [f, ...rest] = byRule(await analyzeFixture(bundleFixture('overlap')), RULE);
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'warning');
    assert.equal(f.subject.ports, '31000');
    assert.match(f.evidence[0].detail, /^source port 31000 → 127\.0\.0\.1:80: .*0100007F:7918 0100007F:0050 01/);
  });
  it('valid: with a NodePort range that excludes 31000 → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('overlap'), '32000-32767'), RULE), []);
  });
});
