/** The rule tester refuses cases that would test nothing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ephemeralPortRange from '../../src/rules/ephemeral-port-range.js';
import { factsFrom, fixtureText, ruleTester } from './rule-tester.js';

describe('rule tester', () => {
  it('rejects two cases with one name', () => {
    assert.throws(
      () =>
        ruleTester(ephemeralPortRange, {
          valid: [
            { name: 'same', bundle: 'exhaustion' },
            { name: 'same', bundle: 'overlap' },
          ],
          invalid: [],
        }),
      /two cases are named "same"/,
    );
  });
  it('rejects a case that repeats another case input', () => {
    assert.throws(
      () =>
        ruleTester(ephemeralPortRange, {
          valid: [
            { name: 'a', bundle: 'exhaustion', edits: { x: '1' } },
            { name: 'b', bundle: 'exhaustion', edits: { x: '1' } },
          ],
          invalid: [],
        }),
      /case "b" repeats another case's input/,
    );
  });
  it('rejects an invalid case that expects no finding', () => {
    assert.throws(
      () =>
        ruleTester(ephemeralPortRange, { valid: [], invalid: [{ name: 'empty', bundle: 'exhaustion', findings: [] }] }),
      /invalid case "empty" expects no finding/,
    );
  });
  it('builds the same facts in memory as the bundle on disk holds', async () => {
    const facts = await factsFrom('exhaustion');
    const host = facts.netns.find((n) => n.meta.isHost);
    const rows = (path: string) => fixtureText('exhaustion', path).trim().split('\n').length - 1;
    const lines = rows('netns/host/proc/net/tcp') + rows('netns/host/proc/net/tcp6');
    assert.equal(host?.sockets?.sockets, lines);
    assert.equal(
      host?.sysctls?.get('net.ipv4.ip_local_port_range')?.raw,
      'net.ipv4.ip_local_port_range = 40000\t40009',
    );
  });
});
