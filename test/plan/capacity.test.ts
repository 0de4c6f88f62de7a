import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan, remedies, usablePorts, type PlanInput } from '../../src/plan/capacity.js';
import { runCli } from '../helpers.js';

const base: PlanInput = {
  rate: 500,
  lifetime: 0.1,
  destinations: 1,
  sourceIps: 1,
  range: { lo: 32768, hi: 60999 },
  reserved: [],
  twReuse: 2,
  loopback: false,
  closer: 'client',
};

describe('plan arithmetic', () => {
  it('steady state = rate per destination × (lifetime + 60 s TIME_WAIT); runs out at usable / rate', () => {
    const r = plan(base);
    assert.equal(r.usable, 28232);
    assert.equal(r.holdSeconds, 60.1);
    assert.equal(Math.round(r.steadyPorts), 30050);
    assert.equal(Math.round(r.steadyTimeWait), 30000);
    assert.equal(Math.round(r.headroom), -1818);
    assert.equal(r.exhaustedAfter, 28232 / 500);
    assert.equal(Math.floor(r.maxRate), 469);
  });
  it('spread over destinations and source IPs, the same load fits', () => {
    const r = plan({ ...base, destinations: 3 });
    assert.equal(r.exhaustedAfter, undefined);
    assert.equal(Math.round(r.steadyPorts), 10017);
  });
  it('tcp_tw_reuse: 1 anywhere, 2 only on loopback, nothing when the server closes first', () => {
    assert.equal(plan({ ...base, twReuse: 1 }).holdSeconds, 1.1);
    assert.equal(plan({ ...base, twReuse: 2, loopback: true }).holdSeconds, 1.1);
    assert.equal(plan({ ...base, closer: 'server' }).holdSeconds, 0.1);
  });
  it('reserved ports count only inside the range', () => {
    assert.equal(
      usablePorts({ lo: 1024, hi: 65535 }, [
        { lo: 30000, hi: 32767 },
        { lo: 10, hi: 20 },
      ]),
      64512 - 2768,
    );
  });
  it('remedies: each computed on the same load, the source-IP count that fits', () => {
    const list = remedies(base, { lo: 30000, hi: 32767 });
    const byName = (name: string) => list.find((r) => r.name === name) ?? assert.fail(`no remedy ${name}`);
    assert.deepEqual(
      list.map((r) => r.name),
      ['wider range', 'tcp_tw_reuse', 'keep-alive / pooling', 'more source IPs'],
    );
    assert.equal(byName('wider range').usable, 52528);
    assert.equal(Math.round(byName('tcp_tw_reuse').steadyPorts), 550);
    assert.equal(byName('keep-alive / pooling').steadyPorts, 50);
    assert.equal(byName('more source IPs').change, '2 source IPs (SNAT pool or pod IPs) instead of 1');
    assert.equal(byName('more source IPs').exhaustedAfter, undefined);
  });
});

describe('plan CLI', () => {
  it('text names the numbers and exits 1 when the range runs out', async () => {
    const r = await runCli(['plan', '--rate', '500', '--lifetime', '100ms']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /500 connections\/s × 60\.1 s held = 30,050 ports at steady state \(30,000 in TIME_WAIT\)/);
    assert.match(r.stdout, /runs out: +after 56\.5 s from a quiet start/);
  });
  it('exits 0 when the load fits; usage errors exit 2 with the reason', async () => {
    assert.equal((await runCli(['plan', '--rate', '10'])).code, 0);
    const bad = await runCli(['plan', '--rate', '10', '--range', '60999-32768']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--range/);
    const missing = await runCli(['plan']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--rate/);
  });
});
