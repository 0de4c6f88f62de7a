/** The last hop: ip route show table all parsed, and looked up as the kernel's default policy rules do. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIpRoute } from '../../src/parsers/ip-route.js';
import { localAddresses, routeFor } from '../../src/trace/route.js';
import { FIXTURES } from '../helpers.js';

const corpus = (name: string) => readFileSync(join(FIXTURES, 'corpus', name), 'utf8');
const answer = (text: string, dst: string) => {
  const r = routeFor(parseIpRoute(text, 'ip-route'), dst);
  return [r.kind, r.route?.line, r.route?.dev, r.route?.via];
};

describe('trace: route lookup', () => {
  it('calico#2612: the blackhole /26 wins over the /24 tunnel route, as the reporter saw (a /32 would win over both)', () => {
    const text = corpus('ip-route-calico2612.txt');
    assert.deepEqual(answer(text, '10.33.92.9'), ['blackhole', 1, undefined, undefined]);
    assert.deepEqual(answer(text, '10.33.92.200'), ['unicast', 3, 'tunl0', '10.104.115.183']);
    assert.deepEqual(answer(`${text}10.33.92.15 via 10.104.115.184 dev tunl0 proto bird onlink\n`, '10.33.92.15'), [
      'unicast',
      4,
      'tunl0',
      '10.104.115.184',
    ]);
    assert.deepEqual(answer(text, '8.8.8.8'), ['none', undefined, undefined, undefined]);
  });

  it('calico#5823: main table only (policy tables are said, not used), pod /32 routes to their cali interfaces', () => {
    const text = corpus('ip-route-calico5823.txt');
    assert.deepEqual(answer(text, '192.168.69.194'), ['unicast', 18, 'califefb91b4a21', undefined]);
    assert.deepEqual(answer(text, '192.168.69.200'), ['blackhole', 16, undefined, undefined]);
    const r = routeFor(parseIpRoute(text, 'ip-route'), '1.1.1.1');
    assert.deepEqual([r.route?.line, r.route?.via], [11, '129.217.31.33']);
    assert.equal(
      r.caveat,
      'routes in tables mgmt1, ibgw1_0, ibgw1_1, ibgw2_0, ibgw2_1 apply only through `ip rule`, which was not read; table local is not in the input (`ip route show table all` has it): whether this is an address of the node is not known',
    );
  });

  it('table local first (the node itself), the lowest metric among equal prefixes, throw goes on to main; IPv6 apart', () => {
    const text = [
      'default via 10.0.0.1 dev eth0 metric 200',
      'default via 10.0.0.2 dev eth1 metric 100',
      'throw 10.9.0.0/16 table local',
      '10.9.0.0/16 via 10.0.0.9 dev eth0',
      'local 10.0.0.5 dev eth0 table local proto kernel scope host src 10.0.0.5',
      'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
      'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1',
      'default via fe80::1 dev eth0 proto ra metric 1024 pref medium',
      'fd00::/64 dev eth0 proto kernel metric 256 pref medium',
      'unreachable 10.50.0.0/16',
      'default proto bird',
      '\tnexthop via 10.0.0.3 dev eth2 weight 1',
    ].join('\n');
    assert.deepEqual(answer(text, '10.0.0.5'), ['local', 5, 'eth0', undefined]);
    assert.deepEqual(answer(text, '127.0.0.9'), ['local', 6, 'lo', undefined]);
    assert.deepEqual(answer(text, '1.2.3.4'), ['unicast', 11, undefined, undefined]);
    assert.deepEqual(answer(text, '10.9.1.1'), ['unicast', 4, 'eth0', '10.0.0.9']);
    assert.deepEqual(answer(text, 'fd00::7'), ['unicast', 9, 'eth0', undefined]);
    assert.deepEqual(answer(text, '2001:db8::1'), ['unicast', 8, 'eth0', 'fe80::1']);
    assert.deepEqual(answer(text, '10.50.1.1'), ['unreachable', 10, undefined, undefined]);
    const table = parseIpRoute(text, 'ip-route');
    assert.deepEqual(table.routes[10]?.nexthops, [{ via: '10.0.0.3', dev: 'eth2' }]);
    assert.deepEqual([...(localAddresses(table) ?? [])].sort(), ['10.0.0.5', '127.0.0.1']);
    // `ip route` without `table all`: no address is known to be the node's, and the answer says so
    const mainOnly = parseIpRoute(corpus('ip-route-calico2612.txt'), 'ip-route');
    assert.equal(localAddresses(mainOnly), undefined);
    assert.match(routeFor(mainOnly, '10.33.92.9').caveat ?? '', /^table local is not in the input/);
    assert.equal(routeFor(table, '10.9.1.1').caveat, undefined);
    assert.throws(() => parseIpRoute('Kernel IP routing table\n', 'route-n'), /route-n:1: not a route/);
  });
});
