import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule } from '../helpers.js';

const RULE = 'listen-queue-overflow';

describe(RULE, () => {
  it('invalid: ListenOverflows rising and a full queue → error naming 127.0.0.1:9000', async () => {
    const [f] = byRule(await analyzeFixture(bundleFixture('listen-overflow')), RULE);
    assert.equal(f.severity, 'error');
    assert.deepEqual([f.subject.listener, f.subject.acceptQueue, f.subject.backlog], ['127.0.0.1:9000', 2, 1]);
    assert.ok(f.evidence.some((e) => e.source === 'ss -ltn' && e.detail.startsWith('LISTEN 2      1')));
  });
  it('without ss the longest /proc/net/tcp accept queue is named', async () => {
    const [f] = byRule(await analyzeEdited('listen-overflow', { 'netns/host/ss-ltn': null }), RULE);
    assert.equal(f.subject.listener, '127.0.0.1:9000');
    assert.equal(f.subject.backlog, undefined);
  });
  it('one sample with past overflows → info only', async () => {
    const [f] = byRule(await analyzeEdited('listen-overflow', { 'netns/host/later/proc/net/netstat': null }), RULE);
    assert.equal(f.severity, 'info');
  });
  it('valid: no overflow in the exhaustion capture → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE), []);
  });
});
