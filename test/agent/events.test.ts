import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventTracker, eventBody, findingKey } from '../../src/agent/events.js';
import type { Finding } from '../../src/model/finding.js';

const finding = (over: Partial<Finding> = {}, subject: Finding['subject'] = {}): Finding => ({
  rule: 'ephemeral-port-exhaustion',
  severity: 'error',
  message: '10 sockets 127.0.0.1 → 127.0.0.1:8080 hold all 10 usable ports.',
  subject: {
    node: 'worker-1',
    netns: 'host',
    localIp: '127.0.0.1',
    remoteIp: '127.0.0.1',
    remotePort: 8080,
    used: 10,
    ...subject,
  },
  evidence: [{ kind: 'derived', source: 'x', detail: 'y' }],
  remediation: 'Widen the range.',
  docs: 'docs/rules/ephemeral-port-exhaustion.md',
  ...over,
});
const MIN = 60_000;

describe('Events: on change only, braked', () => {
  it('a finding is one Detected, however many ticks it holds; its counts changing is not a new finding', () => {
    const t = new EventTracker({ quietMs: 10 * MIN, burst: 20, windowMs: 10 * MIN });
    assert.deepEqual(
      t.update([finding()], 0).map((e) => e.action),
      ['Detected'],
    );
    assert.deepEqual(t.update([finding({}, { used: 9 })], 30_000), []);
    assert.equal(findingKey(finding({}, { used: 1 })), findingKey(finding({}, { used: 2 })));
  });

  it('severity change and clear are events; a clear is never held back', () => {
    const t = new EventTracker({ quietMs: 10 * MIN, burst: 20, windowMs: 10 * MIN });
    t.update([finding()], 0);
    assert.deepEqual(
      t.update([], 30_000).map((e) => e.action),
      ['Cleared'],
    );
    // it comes back at once: a flap, held back until the quiet period ends
    assert.deepEqual(t.update([finding({ severity: 'warning' })], 60_000), []);
    assert.equal(t.suppressed, 1);
    const back = t.update([finding({ severity: 'warning' })], 31 * MIN);
    assert.deepEqual(
      back.map((e) => e.action),
      ['Detected'],
    );
    assert.deepEqual(
      t.update([finding({ severity: 'error' })], 45 * MIN).map((e) => [e.action, e.was]),
      [['SeverityChanged', 'warning']],
    );
  });

  it('a flapping rule cannot flood: the bucket bounds all events of the node', () => {
    const t = new EventTracker({ quietMs: 0, burst: 3, windowMs: 10 * MIN });
    const many = Array.from({ length: 10 }, (_, i) => finding({}, { remotePort: 1000 + i }));
    assert.equal(t.update(many, 0).length, 3);
    assert.equal(t.suppressed, 7);
    assert.equal(t.update(many, 11 * MIN).length, 3, 'the next window lets the held ones through');
  });

  it('pod churn does not grow the tracker: a cleared finding is forgotten after its quiet period', () => {
    const t = new EventTracker({ quietMs: 10 * MIN, burst: 1000, windowMs: 10 * MIN });
    for (let pod = 0; pod < 50; pod++) {
      const f = finding({}, { netns: `pod-${pod}` });
      t.update([f], pod * 20 * MIN);
      t.update([], pod * 20 * MIN + MIN);
    }
    assert.ok(t.tracked <= 2, `${t.tracked} findings remembered`);
  });

  it('info findings make no events', () => {
    const t = new EventTracker();
    assert.deepEqual(t.update([finding({ severity: 'info' })], 0), []);
  });

  it('the body follows the API rules: Node events in "default", pod events in the pod namespace, note ≤ 1 KiB', () => {
    const [e] = new EventTracker().update([finding({ message: 'x'.repeat(3000) })], 0);
    assert.ok(e);
    const now = new Date('2026-12-01T10:00:00.123Z');
    const onNode = eventBody(e, { kind: 'Node', name: 'worker-1', uid: 'u1' }, 'worker-1', now);
    assert.equal((onNode.metadata as { namespace: string }).namespace, 'default');
    assert.equal(onNode.eventTime, '2026-12-01T10:00:00.123000Z');
    assert.equal(onNode.reportingController, 'netdoctor.io/agent');
    assert.equal(onNode.reason, 'EphemeralPortExhaustion');
    assert.ok(Buffer.byteLength(String(onNode.note)) <= 1024);
    const onPod = eventBody(e, { kind: 'Pod', namespace: 'shop', name: 'web-1' }, 'worker-1', now);
    assert.equal((onPod.metadata as { namespace: string }).namespace, 'shop');
    assert.deepEqual(onPod.regarding, { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'shop' });
  });
});
