/** The agent's memory between ticks (sources/host/socket-cache.ts): what is re-read when, spread over ticks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArtefactCadence, SocketTableCache } from '../../src/sources/host/socket-cache.js';
import type { SocketLoad } from '../../src/facts/socket-walk.js';

const QUIET: SocketLoad = { sockets: 1000, v4: 1000, v6: 0, timeWait: 0, usable: 28232, twBuckets: 262144 };
const INPUTS = ['net.ipv4.ip_local_port_range = 32768\t60999\n'];
const ids = Array.from({ length: 50 }, (_, i) => `pod-${i}`);

describe('socket tables between ticks', () => {
  it('quiet pods are walked once per 30 ticks each, spread over the ticks instead of all on one', () => {
    const cache = new SocketTableCache();
    const walks = new Map<string, number>();
    const perTick: number[] = [];
    for (let tick = 0; tick < 61; tick++) {
      cache.beginTick();
      for (const id of ids) {
        if (cache.reusable(id, QUIET, INPUTS)) continue;
        walks.set(id, (walks.get(id) ?? 0) + 1);
        cache.remember(id, new Map([['tcp', [Buffer.from('x')]]]), QUIET, INPUTS);
      }
      cache.endTick();
      perTick.push(cache.walked);
    }
    assert.equal(perTick[0], 50, 'the first tick reads every table');
    // after the first tick: each pod twice in 60 ticks (once per 30), never all at once
    for (const id of ids) assert.equal(walks.get(id), 3, `${id}: the first read and one per 30 ticks`);
    assert.ok(Math.max(...perTick.slice(1)) <= 8, `at most a few walks a tick: ${perTick.slice(1).join(' ')}`);
  });

  it('listen counters that moved, or changed sysctls, force a walk; a pod gone is forgotten', () => {
    const cache = new SocketTableCache();
    cache.beginTick();
    assert.equal(cache.reusable('a', QUIET, INPUTS), undefined);
    cache.remember('a', new Map(), QUIET, INPUTS);
    cache.endTick();
    cache.beginTick();
    assert.equal(cache.reusable('a', QUIET, INPUTS, true), undefined, 'forced');
    cache.endTick();
    cache.beginTick();
    const widened = ['net.ipv4.ip_local_port_range = 1024\t65535\n'];
    assert.equal(cache.reusable('a', QUIET, widened), undefined, 'a changed port range: read again');
    cache.endTick();
    cache.beginTick();
    cache.endTick(); // 'a' not seen: gone
    cache.beginTick();
    assert.equal(cache.reusable('a', QUIET, INPUTS), undefined, 'nothing kept of a pod that went away');
  });
});

describe('slow artefacts between ticks', () => {
  it('re-read every `every` ticks, the first re-read staggered; on-demand ones only when fresh', async () => {
    const cadence = new ArtefactCadence(30);
    const reads = new Map<string, number>();
    const read = (key: string) => () => {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return Promise.resolve(key);
    };
    for (let tick = 0; tick < 61; tick++) {
      cadence.beginTick();
      for (const id of ids) {
        await cadence.text(id, 'sysctl.txt', read(`${id} sysctl`));
        await cadence.text(id, 'ss-ltn', read(`${id} ss`), tick === 45 && id === 'pod-7', true);
      }
      cadence.endTick();
    }
    for (const id of ids) assert.equal(reads.get(`${id} sysctl`), 3, `${id}: first read, then once per 30 ticks`);
    assert.equal(reads.get('pod-7 ss'), 2, 'listeners: the first read and the one asked for');
    assert.equal(reads.get('pod-8 ss'), 1);
  });

  it('keeps the bytes only until the scan is kept with them', () => {
    const cache = new SocketTableCache();
    cache.beginTick();
    cache.reusable('a', QUIET, INPUTS);
    cache.remember('a', new Map([['tcp', [Buffer.from('bytes')]]]), QUIET, INPUTS);
    cache.endTick();
    cache.beginTick();
    const first = cache.reusable('a', QUIET, INPUTS);
    assert.ok(first?.files, 'no scan kept yet: the bytes are replayed');
    first.memo.scanned = { table: {} as never, ephemeral: new Uint8Array(1), watched: undefined };
    cache.endTick();
    cache.beginTick();
    assert.equal(cache.reusable('a', QUIET, INPUTS)?.files, undefined, 'scanned: the bytes are let go');
    cache.endTick();
  });
});
