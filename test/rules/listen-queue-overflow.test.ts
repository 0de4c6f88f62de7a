import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import listenQueueOverflow from '../../src/rules/listen-queue-overflow.js';
import { ruleTester, fixtureText } from './rule-tester.js';

const RULE = 'listen-queue-overflow';

describe(RULE, () => {
  it('invalid: ListenOverflows rising and a full queue → error naming 127.0.0.1:9000', async () => {
    const [f] = nonEmpty(byRule(await analyzeFixture(bundleFixture('listen-overflow')), RULE));
    assert.equal(f.severity, 'error');
    assert.deepEqual([f.subject.listener, f.subject.acceptQueue, f.subject.backlog], ['127.0.0.1:9000', 2, 1]);
    assert.ok(f.evidence.some((e) => e.source === 'ss -ltn' && e.detail.startsWith('LISTEN 2      1')));
  });
  it('without ss the longest /proc/net/tcp accept queue is named', async () => {
    const [f] = nonEmpty(byRule(await analyzeEdited('listen-overflow', { 'netns/host/ss-ltn': null }), RULE));
    assert.equal(f.subject.listener, '127.0.0.1:9000');
    assert.equal(f.subject.backlog, undefined);
  });
  it('one sample with past overflows → info only', async () => {
    const [f] = nonEmpty(
      byRule(await analyzeEdited('listen-overflow', { 'netns/host/later/proc/net/netstat': null }), RULE),
    );
    assert.equal(f.severity, 'info');
  });
  it('valid: no overflow in the exhaustion capture → nothing', async () => {
    assert.deepEqual(byRule(await analyzeFixture(bundleFixture('exhaustion')), RULE), []);
  });
});

describe(`${RULE}: causes of SYNs to LISTEN sockets dropped`, () => {
  it('accept-queue overflow is named as the cause (real capture)', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('listen-overflow')), RULE));
    assert.equal(f.subject.cause, 'accept-queue');
    assert.ok(rest.every((r) => r.subject.cause !== 'paws'));
  });
  it('PAWSPassive rising with ListenDrops (4.9-shaped netstat, tcp_tw_recycle=1) → the PAWS cause, error', async () => {
    const [f, ...rest] = nonEmpty(byRule(await analyzeFixture(bundleFixture('tw-recycle-nat')), RULE));
    assert.equal(rest.length, 0, 'all 60 drops are PAWS rejects: no "other" finding');
    assert.deepEqual(
      { severity: f.severity, cause: f.subject.cause, paws: f.subject.pawsPassive, drops: f.subject.listenDrops },
      { severity: 'error', cause: 'paws', paws: 60, drops: 60 },
    );
    assert.ok(f.evidence.some((e) => e.source === 'sysctl' && e.detail === 'net.ipv4.tcp_tw_recycle = 1'));
  });
  it('drops beyond overflows and PAWS → a warning for the rest, naming TCPReqQFullDrop when it rose', async () => {
    const fixture = 'tw-recycle-nat';
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const later = readFileSync(join(bundleFixture(fixture), 'netns/host/later/proc/net/netstat'), 'utf8');
    const [names = '', numbers = '', ...rest] = later.split('\n');
    const fields = names.split(' ');
    const values = numbers.split(' ');
    values[fields.indexOf('ListenDrops')] = '1400'; // 100 drops, 60 of them PAWS
    values[fields.indexOf('TCPReqQFullDrop')] = '40';
    const edited = [names, values.join(' '), ...rest].join('\n');
    const findings = byRule(await analyzeEdited(fixture, { 'netns/host/later/proc/net/netstat': edited }), RULE);
    const other = findings.find((f) => f.subject.cause === 'syn-queue');
    assert.equal(other?.severity, 'warning');
    assert.equal(other?.subject.other, 40);
    assert.match(other!.message, /TCPReqQFullDrop \+40/);
  });
});

ruleTester(listenQueueOverflow, {
  valid: [
    {
      name: 'counters that did not rise between the samples',
      bundle: 'listen-overflow',
      edits: { 'netns/host/later/proc/net/netstat': fixtureText('listen-overflow', 'netns/host/proc/net/netstat') },
    },
  ],
  invalid: [
    {
      name: 'accept queue of 127.0.0.1:9000 full (listen-overflow bundle)',
      bundle: 'listen-overflow',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', cause: 'accept-queue', listener: '127.0.0.1:9000', acceptQueue: 2, backlog: 1 },
          evidence: [
            '/proc/net/netstat: TcpExt.ListenOverflows rose by 54 in 3.0 s (18.0/s)',
            '/proc/net/netstat: TcpExt.ListenDrops rose by 54 in 3.0 s',
            'ss -ltn: LISTEN 2      1          127.0.0.1:9000      0.0.0.0:*',
          ],
        },
      ],
    },
    {
      name: 'drops that are PAWS rejections, not a full queue (tw-recycle-nat bundle)',
      bundle: 'tw-recycle-nat',
      findings: [
        {
          severity: 'error',
          subject: { netns: 'host', cause: 'paws', pawsPassive: 60, listenDrops: 60 },
          evidence: [
            '/proc/net/netstat: TcpExt.ListenOverflows rose by 0 in 10.0 s (0.0/s)',
            '/proc/net/netstat: TcpExt.ListenDrops rose by 60 in 10.0 s',
            '/proc/net/netstat: TcpExt.PAWSPassive rose by 60 in 10.0 s',
            'sysctl: net.ipv4.tcp_tw_recycle = 1',
          ],
        },
      ],
    },
  ],
});
