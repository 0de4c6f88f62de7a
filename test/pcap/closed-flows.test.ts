/**
 * The compact table of closed connections against a Map as the model: stores, finds (from either direction),
 * takes and idle sweeps in random order over a small key space, so that probing runs, backward-shift deletion,
 * the move of the last record into a hole and both resizes are exercised. Every field must come back as stored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClosedFlows, type ClosedFlow } from '../../src/facts/closed-flows.js';

const key = (f: Pick<ClosedFlow, 'cIp' | 'cPort' | 'sIp' | 'sPort'>) => `${f.cIp}:${f.cPort}>${f.sIp}:${f.sPort}`;

const blank = (): ClosedFlow => ({
  cIp: 0,
  cPort: 0,
  sIp: 0,
  sPort: 0,
  isn: 0,
  clientFin: false,
  serverFin: false,
  closedNumber: 0,
  closedUs: 0,
  lastNumber: 0,
  lastUs: 0,
});

// 16 addresses × 16 ports, the extremes among them: runs of occupied slots, and the table grows past 1,024
// addresses and ISNs are int32 (DecodedPacket.srcNum): 255.255.255.255 is -1, 192.168.0.1 negative
const ip = fc.oneof(fc.constantFrom(0, -1, 0xc0a80001 | 0), fc.integer({ min: 0x0a000000, max: 0x0a00000d }));
const port = fc.oneof(fc.constantFrom(0, 65535), fc.integer({ min: 40000, max: 40013 }));
const flow = fc.record({
  cIp: ip,
  cPort: port,
  sIp: ip,
  sPort: port,
  isn: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  clientFin: fc.boolean(),
  serverFin: fc.boolean(),
  // frame numbers past 2^31 come back as they went in
  closedNumber: fc.oneof(fc.nat(), fc.constant(2 ** 33 + 1)),
  closedUs: fc.nat({ max: 2 ** 52 }),
  lastNumber: fc.nat(),
  lastUs: fc.integer({ min: 0, max: 1000 }),
});
const op = fc.oneof(
  fc.record({ kind: fc.constant('store' as const), flow }),
  fc.record({ kind: fc.constant('take' as const), flow, pick: fc.nat(), reversed: fc.boolean() }),
  fc.record({ kind: fc.constant('idle' as const), before: fc.integer({ min: 0, max: 1000 }) }),
);

describe('closed connections table', () => {
  it('behaves as a Map keyed by the tuple, found from either end (300 random runs of 500–3,000 operations)', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 500, maxLength: 3000 }), (ops) => {
        const table = new ClosedFlows();
        const model = new Map<string, ClosedFlow>();
        const reverse = (f: ClosedFlow) => ({ cIp: f.sIp, cPort: f.sPort, sIp: f.cIp, sPort: f.cPort });
        for (const o of ops) {
          if (o.kind === 'store') {
            // the tracker stores only a tuple that is in neither direction already
            if (model.has(key(o.flow)) || model.has(key(reverse(o.flow)))) continue;
            table.store(o.flow);
            model.set(key(o.flow), o.flow);
          } else if (o.kind === 'take') {
            // mostly a stored tuple (the pick-th), sometimes the random one (usually absent)
            const stored = [...model.values()];
            const wanted = stored.length > 0 && o.pick % 4 !== 0 ? stored[o.pick % stored.length]! : o.flow;
            const q = o.reversed ? reverse(wanted) : wanted;
            const r = table.find(q.cIp, q.cPort, q.sIp, q.sPort);
            const expected = model.get(key(wanted)) ?? model.get(key(reverse(wanted)));
            assert.equal(r >= 0, expected !== undefined);
            if (!expected) continue;
            const got = blank();
            table.take(r, got);
            assert.deepEqual(got, { ...expected });
            model.delete(key(expected));
          } else {
            table.forgetIdle(o.before);
            for (const [k, f] of model) if (f.lastUs < o.before) model.delete(k);
          }
          assert.equal(table.size, model.size);
        }
        // everything left is still found, from both ends
        for (const f of model.values()) {
          assert.ok(table.find(f.cIp, f.cPort, f.sIp, f.sPort) >= 0);
          assert.ok(table.find(f.sIp, f.sPort, f.cIp, f.cPort) >= 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its first sizes: 100,000 tuples stored, every one taken back intact', () => {
    const table = new ClosedFlows();
    const make = (i: number): ClosedFlow => ({
      ...blank(),
      cIp: 0x0a000000 + (i >> 10),
      cPort: 32768 + (i & 1023),
      sIp: 0x0a640001,
      sPort: 80,
      isn: Math.imul(i, 2654435761),
      clientFin: i % 2 === 0,
      serverFin: i % 3 === 0,
      closedNumber: i * 10 + 9,
      closedUs: 1.7e15 + i,
      lastNumber: i * 10 + 10,
      lastUs: 1.7e15 + i + 1,
    });
    for (let i = 0; i < 100_000; i++) table.store(make(i));
    assert.equal(table.size, 100_000);
    for (let i = 99_999; i >= 0; i -= 7) {
      const f = make(i);
      const got = blank();
      table.take(table.find(f.sIp, f.sPort, f.cIp, f.cPort), got);
      assert.deepEqual(got, f);
    }
    assert.equal(table.find(0x0a000000, 32768 + 1023, 0x0a640001, 81), -1);
  });
});
