/** The trace walker on kube-proxy-style rulesets: statistic arithmetic, REJECT, marks and MASQUERADE, gotos, missing chains. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../../src/parsers/iptables-save.js';
import { walk, type Leaf, type Packet } from '../../src/trace/walk.js';
import { generateKubeProxyRuleset } from '../../bench/gen-iptables.js';

const packet = (dst: string, dport: number, extra: Partial<Packet> = {}): Packet => ({
  proto: 'tcp',
  dst,
  dport,
  mark: 0,
  ...extra,
});
const summary = (leaves: Leaf[]) =>
  leaves
    .map(
      (l) =>
        `${l.probability.toFixed(6)} ${l.verdict.kind} ${l.packet.dst}:${l.packet.dport}${l.snat ? ` ${l.snat}` : ''}`,
    )
    .sort();

const NAT = (rules: string) =>
  `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${rules}\nCOMMIT\n`;

describe('trace walk', () => {
  it('three endpoints behind a ClusterIP: three leaves of 1/3 each, DNAT to each, masqueraded from outside the pod CIDR', () => {
    const ruleset = parseIptablesSave(generateKubeProxyRuleset(3, 3), 'gen');
    assert.deepEqual(summary(walk(ruleset, packet('10.96.0.1', 80), { origin: 'local' })), [
      '0.333333 accepted 10.244.0.3:8080 MASQUERADE --random-fully',
      '0.333333 accepted 10.244.0.4:8080 MASQUERADE --random-fully',
      '0.333333 accepted 10.244.0.5:8080 MASQUERADE --random-fully',
    ]);
    // from a pod inside 10.244.0.0/16: no masquerade (kube-proxy marks only traffic from outside the cluster CIDR)
    const fromPod = walk(ruleset, packet('10.96.0.1', 80, { src: '10.244.9.9' }), { origin: 'local' });
    assert.ok(fromPod.every((l) => l.snat === undefined));
  });

  it('a port the Service does not have: untouched; a NodePort arriving on a local address: to the Service', () => {
    const ruleset = parseIptablesSave(generateKubeProxyRuleset(6, 2), 'gen');
    assert.deepEqual(summary(walk(ruleset, packet('10.96.0.1', 81), { origin: 'local' })), [
      '1.000000 accepted 10.96.0.1:81',
    ]);
    const viaNodePort = walk(ruleset, packet('192.168.49.3', 30001), {
      origin: 'arriving',
      localAddresses: new Set(['192.168.49.3']),
    });
    // (the generator's NodePort rules mark nothing for masquerade, so none is applied)
    assert.deepEqual(summary(viaNodePort), [
      '0.500000 accepted 10.244.0.10:8080',
      '0.500000 accepted 10.244.0.11:8080',
    ]);
    const unknownAddresses = walk(ruleset, packet('192.168.49.3', 30001), { origin: 'arriving' });
    assert.ok(
      unknownAddresses.some((l) => l.assumed.some((a) => /addrtype/.test(a))),
      'addrtype without addresses is said to be assumed',
    );
  });

  it('a Service without endpoints: REJECT, as kube-proxy writes it in filter KUBE-SERVICES', () => {
    const ruleset = parseIptablesSave(
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment "shop/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n`,
      'filter',
    );
    const [leaf, ...rest] = walk(ruleset, packet('10.96.5.5', 80), { origin: 'local' });
    assert.equal(rest.length, 0);
    assert.deepEqual(leaf?.verdict, { kind: 'rejected', with: 'icmp-port-unreachable' });
    assert.equal(leaf?.steps.at(-1)?.line, 7);
  });

  it('a jump to a chain this backend does not have (failure 3) is named, not passed over', () => {
    const ruleset = parseIptablesSave(
      NAT(':KUBE-SERVICES - [0:0]\n-A OUTPUT -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-MARK-DROP'),
      'nat',
    );
    const [leaf] = walk(ruleset, packet('10.96.0.1', 443), { origin: 'local' });
    assert.deepEqual(leaf?.verdict, { kind: 'missing-chain', chain: 'nat/KUBE-MARK-DROP' });
  });

  it('goto: a RETURN in the chain gone to returns past the chain that went there; nth splits 1 in N', () => {
    const ruleset = parseIptablesSave(
      NAT(
        [
          ':A - [0:0]',
          ':B - [0:0]',
          '-A OUTPUT -j A',
          '-A OUTPUT -j DNAT --to-destination 10.0.0.9:1',
          '-A A -g B',
          '-A A -j DNAT --to-destination 10.0.0.1:1',
          '-A B -m statistic --mode nth --every 4 --packet 0 -j DNAT --to-destination 10.0.0.4:1',
          '-A B -j RETURN',
        ].join('\n'),
      ),
      'nat',
    );
    assert.deepEqual(summary(walk(ruleset, packet('10.1.1.1', 1), { origin: 'local' })), [
      '0.250000 accepted 10.0.0.4:1',
      '0.750000 accepted 10.0.0.9:1',
    ]);
  });

  it('a match it does not model: both ways, each labelled, no probability made up', () => {
    const ruleset = parseIptablesSave(
      NAT('-A OUTPUT -m recent --rcheck --name x -j DNAT --to-destination 10.0.0.2:80'),
      'nat',
    );
    const leaves = walk(ruleset, packet('10.0.0.1', 80), { origin: 'local' });
    assert.deepEqual(leaves.map((l) => [l.probability, l.packet.dst, l.assumed[0]]).sort(), [
      [1, '10.0.0.1', 'does not match: -m recent (not modelled: depends on state the save does not show)'],
      [1, '10.0.0.2', 'matches: -m recent (not modelled: depends on state the save does not show)'],
    ]);
  });
});

describe('trace: IPVS (captured-format fixture; this kernel has no IPVS)', () => {
  it('the virtual service, its real servers with rr shares, the weight-0 one marked draining with its entries', async () => {
    const { traceConnection } = await import('../../src/engine.js');
    const { bundleFixture } = await import('../helpers.js');
    const r = await traceConnection({
      paths: [bundleFixture('ipvs-rolling-update')],
      netns: { kind: 'self' },
      packet: packet('10.96.0.100', 80),
      origin: 'local',
    });
    assert.equal(r.ipvs?.service, '10.96.0.100:80');
    assert.equal(r.ipvs?.scheduler, 'rr');
    assert.deepEqual(
      r.ipvs?.reals.map((x) => [x.server, x.weight, x.draining, x.share, x.entries]),
      [
        ['10.244.1.2:8080', 0, true, 0, { TIME_WAIT: 19, SYN_RECV: 2 }],
        ['10.244.2.3:8080', 1, false, 0.5, { ESTABLISHED: 12 }],
        ['10.244.3.4:8080', 1, false, 0.5, { ESTABLISHED: 11 }],
      ],
    );
    assert.deepEqual(r.backends, [], 'the bundle holds no iptables-save output: only IPVS is shown, and said');
  });
});

describe('trace: bounded', () => {
  it('thirty undecidable rules in a row (2^30 ways) stop branching at the bound, and say so', () => {
    const rules = Array.from(
      { length: 30 },
      (_, i) => `-A OUTPUT -m recent --rcheck --name r${i} -j MARK --or-mark ${1 << (i % 16)}`,
    );
    const ruleset = parseIptablesSave(NAT(rules.join('\n')), 'nat');
    const leaves = walk(ruleset, packet('10.0.0.1', 80), { origin: 'local' });
    assert.ok(leaves.length <= 1100, `${leaves.length} leaves`);
    assert.ok(leaves.some((l) => l.verdict.kind === 'unexplored'));
  });
});

describe('trace on a public artefact', () => {
  it('the Kubernetes docs\' "hostnames" Service (kubernetes/website#12275): three endpoints, a third each', async () => {
    const { traceConnection } = await import('../../src/engine.js');
    const { FIXTURES } = await import('../helpers.js');
    const { join } = await import('node:path');
    const file = join(FIXTURES, 'corpus/iptables-save-hostnames-debug-service.txt');
    const r = await traceConnection({
      paths: [file],
      netns: { kind: 'self' },
      packet: packet('10.0.1.175', 80),
      origin: 'local',
    });
    const [b] = r.backends;
    assert.equal(b?.source, file, 'named by the user file');
    const leaves = (b?.leaves ?? []).map((l) => [`${l.packet.dst}:${l.packet.dport}`, l.probability] as const).sort();
    assert.deepEqual(
      leaves.map(([to]) => to),
      ['10.244.1.7:9376', '10.244.2.3:9376', '10.244.3.6:9376'],
    );
    // 0.33332999982, then 0.5 of the rest, then the rest: kube-proxy's arithmetic, a third each to 1e-4
    for (const [, p] of leaves) assert.ok(Math.abs(p - 1 / 3) < 1e-4, String(p));
    assert.ok(Math.abs(leaves.reduce((n, [, p]) => n + p, 0) - 1) < 1e-12);
  });
});
