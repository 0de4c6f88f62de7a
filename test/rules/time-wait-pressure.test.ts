import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeEdited, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import timeWaitPressure from '../../src/rules/time-wait-pressure.js';
import { ruleTester, fixtureText } from './rule-tester.js';

const RULE = 'time-wait-pressure';
const tcp = readFileSync(join(bundleFixture('exhaustion'), 'netns/host/proc/net/tcp'), 'latin1');
/** The captured connections turned to TIME_WAIT (state 06), as after the clients closed them. */
const timeWait = tcp.replace(/^(\s*\d+: 0100007F:9C4[0-9A-F] 0100007F:1F90) 01/gm, '$1 06');

describe(RULE, () => {
  it('invalid: 10 TIME_WAIT sockets that tcp_tw_reuse=0 cannot reuse hold all ports → warning', async () => {
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('exhaustion', {
          'netns/host/proc/net/tcp': timeWait.replaceAll('0100007F:1F90 06', '0200000A:1F90 06'),
          'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 40000\t40009\nnet.ipv4.tcp_tw_reuse = 0\n',
        }),
        RULE,
      ),
    );
    assert.equal(f.severity, 'warning');
    assert.deepEqual([f.subject.remoteIp, f.subject.timeWait, f.subject.usable], ['10.0.0.2', 10, 10]);
  });
  it('valid: on loopback tcp_tw_reuse=2 lets connect() reuse them → nothing', async () => {
    assert.deepEqual(byRule(await analyzeEdited('exhaustion', { 'netns/host/proc/net/tcp': timeWait }), RULE), []);
  });
  it('invalid: TCPTimeWaitOverflow rising → warning', async () => {
    const lq = bundleFixture('listen-overflow');
    const later = readFileSync(join(lq, 'netns/host/later/proc/net/netstat'), 'latin1');
    const [names, values = assert.fail('no values line')] = nonEmpty(later.split('\n'));
    const i = names.split(' ').indexOf('TCPTimeWaitOverflow');
    const bumped = values
      .split(' ')
      .map((v, j) => (j === i ? String(Number(v) + 42) : v))
      .join(' ');
    const f = byRule(
      await analyzeEdited('listen-overflow', { 'netns/host/later/proc/net/netstat': later.replace(values, bumped) }),
      RULE,
    ).find((x) => x.subject.timeWaitOverflows !== undefined);
    assert.equal(f?.subject.timeWaitOverflows, 42);
  });
});

const closedSockets = () => ({
  'netns/host/proc/net/tcp': fixtureText('exhaustion', 'netns/host/proc/net/tcp').replace(
    /^(\s*\d+: 0100007F:9C4[0-9A-F]) 0100007F:1F90 01/gm,
    '$1 0200000A:1F90 06',
  ),
  'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 40000\t40009\nnet.ipv4.tcp_tw_reuse = 0\n',
});

ruleTester(timeWaitPressure, {
  valid: [{ name: 'ten ESTABLISHED sockets, none in TIME_WAIT', bundle: 'exhaustion' }],
  invalid: [
    {
      name: 'the ten sockets to 10.0.0.2:8080 closed, tcp_tw_reuse = 0',
      bundle: 'exhaustion',
      edits: closedSockets(),
      findings: [
        {
          severity: 'warning',
          subject: { netns: 'host' },
          evidence: [/^\/proc\/net\/tcp: 10 of 10 sockets 127\.0\.0\.1 → 10\.0\.0\.2:8080 are in TIME_WAIT$/],
        },
      ],
    },
  ],
});
