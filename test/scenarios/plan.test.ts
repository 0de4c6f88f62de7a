/**
 * `netdoctor plan` checked against the real kernel: connections opened and closed at a known rate with
 * tcp_tw_reuse=0 in a fresh namespace; the TIME_WAIT count and the moment connect() fails with
 * EADDRNOTAVAIL are compared with what plan predicted for the same numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers.js';
import { scenarioSkipReason, withNetns } from './netns.js';

const skip = scenarioSkipReason();
const RATE = 50;
const RANGE = '40000-40199';

describe('scenario: plan against the kernel', { skip }, () => {
  it(`${RATE} connections/s closed by the client, range ${RANGE}, tcp_tw_reuse=0: exhaustion when and where plan says`, () =>
    withNetns(['plan'], async (ns) => {
      const predicted = await runCli([
        'plan',
        '--rate',
        String(RATE),
        '--range',
        RANGE,
        '--tw-reuse',
        '0',
        '--loopback',
        '--format',
        'json',
      ]);
      assert.equal(predicted.code, 1, 'plan exits 1 when the range runs out');
      const { result } = JSON.parse(predicted.stdout) as {
        result: { usable: number; exhaustedAfter: number; timeWaitAtExhaustion: number; steadyPorts: number };
      };
      assert.deepEqual(
        {
          usable: result.usable,
          exhaustedAfter: result.exhaustedAfter,
          timeWait: result.timeWaitAtExhaustion,
          steady: result.steadyPorts,
        },
        { usable: 200, exhaustedAfter: 4, timeWait: 200, steady: 3000 },
      );

      ns.sysctl('net.ipv4.ip_local_port_range', RANGE.replace('-', ' '));
      ns.sysctl('net.ipv4.tcp_tw_reuse', '0');
      assert.equal(await ns.helper('listen', '127.0.0.1', '8080', '512', 'drain'), 'ready');
      const measured = JSON.parse(await ns.helper('churn', '127.0.0.1', '8080', String(RATE), '15')) as {
        opened: number;
        errno?: number;
        failedAfter?: number;
      };
      assert.equal(measured.errno, 99, 'connect() fails with EADDRNOTAVAIL');
      // Every usable port is handed out once. Extra successes were seen in CI (201, then 202 of 200, and 204
      // in a clean-clone CI run on 2026-12-02 that passed alone three times and after node.test.ts twice). A
      // TIME_WAIT ended early (an RST assassinating it, tcp_rfc1337=0) would explain them: its port is handed
      // out again and the new connection is in TIME_WAIT in turn, so the count below still holds. The cause
      // is not confirmed: allow 2 % (4 ports), and print the namespace's TCP counters (read only on a
      // failure; -s leaves nstat's shared history file alone) so the next one names it.
      const counters = () =>
        ns
          .exec(['nstat', '-asz'])
          .split('\n')
          .filter((l) => /^Tcp/.test(l) && !/\s0\s/.test(l))
          .join('; ');
      if (measured.opened < result.usable || measured.opened > result.usable + 4)
        assert.fail(`${measured.opened} connections opened, ${result.usable} ports usable; counters: ${counters()}`);
      // The client paces itself to the second; scheduling slack on a busy machine is the only error.
      assert.ok(
        Math.abs(measured.failedAfter! - result.exhaustedAfter) <= 0.5,
        `failed after ${measured.failedAfter} s, predicted ${result.exhaustedAfter} s`,
      );
      const timeWait = ns
        .exec(['ss', '-Htan', 'state', 'time-wait', 'dst', '127.0.0.1:8080'])
        .split('\n')
        .filter(Boolean).length;
      if (Math.abs(timeWait - result.timeWaitAtExhaustion) > 2)
        assert.fail(`${timeWait} TIME_WAIT sockets, predicted ${result.timeWaitAtExhaustion}; counters: ${counters()}`);
    }));

  it('with tcp_tw_reuse=1 the same churn keeps going, as plan predicts', () =>
    withNetns(['planreuse'], async (ns) => {
      const predicted = await runCli([
        'plan',
        '--rate',
        String(RATE),
        '--range',
        RANGE,
        '--tw-reuse',
        '1',
        '--format',
        'json',
      ]);
      assert.equal(predicted.code, 0);
      const { result } = JSON.parse(predicted.stdout) as { result: { steadyPorts: number; exhaustedAfter?: number } };
      assert.equal(result.exhaustedAfter, undefined);
      assert.equal(result.steadyPorts, 50);
      ns.sysctl('net.ipv4.ip_local_port_range', RANGE.replace('-', ' '));
      ns.sysctl('net.ipv4.tcp_tw_reuse', '1');
      await ns.helper('listen', '127.0.0.1', '8080', '512', 'drain');
      const measured = JSON.parse(await ns.helper('churn', '127.0.0.1', '8080', String(RATE), '6')) as {
        opened: number;
        errno?: number;
      };
      assert.equal(measured.errno, undefined, 'no EADDRNOTAVAIL within 6 s (300 connections through 200 ports)');
      assert.ok(measured.opened >= 280, `opened ${measured.opened}`);
    }));
});
