import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byRule, lintFixture, nonEmpty } from '../helpers.js';

const RULE = 'prefer-safe-sysctl';

describe(RULE, () => {
  it('invalid: a privileged initContainer that only widens the range', async () => {
    const [f, ...rest] = nonEmpty(byRule(await lintFixture(['more-rules.yaml']), RULE));
    assert.equal(rest.length, 0);
    assert.equal(f.subject.name, 'range-only');
    assert.equal(f.subject.sysctl, 'net.ipv4.ip_local_port_range');
    assert.equal(f.severity, 'warning');
    assert.match(f.remediation, /\{name: net\.ipv4\.ip_local_port_range, value: "10240 60999"\}/);
  });

  it('valid: writers that also set unsafe sysctls, hostNetwork pods, and versions where the sysctl is not yet safe', async () => {
    assert.deepEqual(byRule(await lintFixture(['incidents.yaml', 'clean.yaml']), RULE), []);
    const report = await lintFixture(['more-rules.yaml'], { k8sVersion: [1, 10] });
    assert.deepEqual(byRule(report, RULE), []);
  });
});
