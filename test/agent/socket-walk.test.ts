/** When the agent may judge a pod on the socket tables of an earlier tick (facts/socket-walk.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownEmpty, mustWalk, socketLoad } from '../../src/facts/socket-walk.js';
import { parseSockstat } from '../../src/parsers/proc-net-counters.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactsBuilder } from '../../src/facts/builder.js';
import type { ScanMemo } from '../../src/facts/sink.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { FIXTURES, nonEmpty } from '../helpers.js';

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
  it('a family is known empty only when none of its sockets is in use and none of either is in TIME_WAIT', () => {
    const v6 = (inuse: number) => parseSockstat(`TCP6: inuse ${inuse}\nUDP6: inuse 1\n`, 'sockstat6');
    const quiet = socketLoad(sockstat(12, 0), v6(0), 28232, 262144);
    assert.equal(knownEmpty(quiet, 6), true);
    assert.equal(knownEmpty(quiet, 4), false);
    // TIME_WAIT has one count for both families: either table may hold them
    const tw = socketLoad(sockstat(12, 3), v6(0), 28232, 262144);
    assert.equal(knownEmpty(tw, 6), false);
    assert.equal(knownEmpty(socketLoad(sockstat(0, 0), v6(2), 28232, 262144), 4), true);
    // no sockstat6 (IPv6 off, or unreadable): the IPv6 table is not known to be empty
    assert.equal(knownEmpty(socketLoad(sockstat(12, 0), undefined, 28232, 262144), 6), false);
  });
});

describe('socket tables reused between ticks', () => {
  const FIXTURE = join(FIXTURES, 'bundles/exhaustion/netns/host');
  const tcp = readFileSync(join(FIXTURE, 'proc/net/tcp'));
  const sysctl = readFileSync(join(FIXTURE, 'sysctl.txt'), 'utf8');

  /** One tick's facts of a pod whose tables are given as the agent's cache gives them, or streamed. */
  async function podSockets(opts: { memo?: ScanMemo; sysctlText?: string; bytesLetGo?: boolean }) {
    const builder = new FactsBuilder({
      target: { kind: 'node', name: 'n1' },
      byteOrder: 'LE',
      nodePorts: { range: DEFAULT_NODEPORT_RANGE, origin: 'Kubernetes default' },
    });
    builder.netns({ id: 'pod-a', isHost: false });
    builder.text('netns/pod-a/sysctl.txt', opts.sysctlText ?? sysctl);
    if (opts.memo)
      builder.reuseSocketTables('pod-a', opts.bytesLetGo ? undefined : new Map([['tcp', [tcp]]]), opts.memo);
    else {
      const w = builder.stream('netns/pod-a/proc/net/tcp');
      w.push(tcp);
      w.end();
    }
    await builder.finish({
      tool: 'netdoctor',
      version: 'test',
      createdAt: new Date(0).toISOString(),
      hostname: 'n1',
      intervalMs: 0,
      byteOrder: 'LE',
      netns: [{ id: 'pod-a', isHost: false }],
      problems: [],
    });
    const [pod] = nonEmpty(builder.facts().netns);
    problems = pod.problems;
    return pod.sockets;
  }
  let problems = new Map<string, string>();

  it('the same bytes give the table a stream gives; the next tick takes the kept scan without scanning', async () => {
    const streamed = await podSockets({});
    const memo: ScanMemo = {};
    const first = await podSockets({ memo });
    assert.ok(streamed && first);
    assert.deepEqual(first, streamed);
    assert.equal(memo.scanned?.table, first, 'the scan is kept with the bytes');
    assert.equal(await podSockets({ memo }), first, 'the next tick shares the kept table');
    assert.ok(
      first.destinations.some((d) => d.total === 10),
      'the exhausted destination is in it',
    );
  });

  it('a changed port range scans the bytes again', async () => {
    const memo: ScanMemo = {};
    const before = await podSockets({ memo });
    const widened = sysctl.replace(/ip_local_port_range = .*/, 'ip_local_port_range = 32768\t60999');
    const after = await podSockets({ memo, sysctlText: widened });
    assert.notEqual(after, before);
    assert.equal(memo.scanned?.table, after);
    // ports 40000-40009 are ephemeral in both ranges: the same sockets, counted again
    assert.equal(after?.destinations.length, before?.destinations.length);
  });

  it('a kept scan that no longer fits, its bytes let go: not read this tick, said, and walked at the next', async () => {
    const memo: ScanMemo = {};
    await podSockets({ memo });
    const widened = sysctl.replace(/ip_local_port_range = .*/, 'ip_local_port_range = 32768\t60999');
    assert.equal(await podSockets({ memo, sysctlText: widened, bytesLetGo: true }), undefined, 'never an empty table');
    assert.match(problems.get('proc/net/tcp') ?? '', /no longer fits/);
    assert.equal(memo.stale, true);
  });
});
