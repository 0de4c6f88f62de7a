/** When the agent may judge a pod on the socket tables of an earlier tick (facts/socket-walk.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mustWalk, socketLoad } from '../../src/facts/socket-walk.js';
import { parseSockstat } from '../../src/parsers/proc-net-counters.js';

// /proc/net/sockstat inside a pod: inuse and tw are the namespace's; alloc and orphan are the machine's
const sockstat = (inuse: number, tw: number) =>
  parseSockstat(
    `sockets: used 9120\nTCP: inuse ${inuse} orphan 0 tw ${tw} alloc 50213 mem 1520\nUDP: inuse 0 mem 8\n`,
    'sockstat',
  );

describe('socket walk on demand', () => {
  it('counts the namespace’s own sockets, not the machine-wide alloc', () => {
    assert.equal(socketLoad(sockstat(1000, 5), undefined, 28232, 262144).sockets, 1005);
  });
  it('a pod far below every rule threshold, before and now: no walk', () => {
    const load = socketLoad(sockstat(1000, 0), undefined, 28232, 262144);
    assert.equal(mustWalk(load, load), false);
  });
  it('walks when the counts reach 30 % of the usable ports (the rules start at 50 %), or did at the last walk', () => {
    const low = socketLoad(sockstat(1000, 0), undefined, 10000, 262144);
    const high = socketLoad(sockstat(2800, 200), undefined, 10000, 262144);
    assert.equal(mustWalk(high, low), true);
    assert.equal(mustWalk(low, high), true, 'a table taken when high may hold a finding: read it again');
    assert.equal(mustWalk(low, undefined), true, 'no earlier table');
  });
  it('walks when TIME_WAIT nears tcp_max_tw_buckets', () => {
    const tw = socketLoad(sockstat(10, 700), undefined, 28232, 1000);
    assert.equal(mustWalk(tw, tw), true);
  });
});
