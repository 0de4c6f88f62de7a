/**
 * `netdoctor trace` against the kernel, in both backends: a kube-proxy-style ruleset (KUBE-SERVICES →
 * KUBE-SVC with statistic rules → KUBE-SEP DNAT, KUBE-MARK-MASQ, KUBE-POSTROUTING MASQUERADE, a Service
 * without endpoints that REJECTs) is restored with iptables-nft-restore, then iptables-legacy-restore, in a
 * namespace whose endpoints are addresses on its loopback. The trace is read live from that namespace; then
 * 600 real connections are opened and the endpoints say which one the kernel chose. The set must equal the
 * trace's leaves, and each count must lie within 5 standard deviations of 600 × its probability (binomial:
 * a correct trace fails this with probability below 1e-6 per endpoint). The Service without endpoints must
 * be refused, as the trace says.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runJson } from '../helpers.js';
import { scenarioSkipReason, withNetns, type Netns } from './netns.js';
import { NAT_HEAD, NAT_WEB, WEB_ENDPOINTS, assertRates } from './kube-proxy-rules.js';

const skip = scenarioSkipReason(['iptables-nft-restore', 'iptables-legacy-restore']);
const HELPER = join(ROOT, 'test/scenarios/helpers/endpoints.py');
const ENDPOINTS = WEB_ENDPOINTS;
const N = 600;

const RULES = `${NAT_HEAD}${NAT_WEB}COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "shop/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;

/** endpoints.py in the namespace; the namespace kills it when it is destroyed, also on failure. */
const helper = (ns: Netns, args: string[]) => ns.script(HELPER, ...args);

interface TraceJson {
  backends: {
    save: string;
    kubeChains: number;
    leaves: {
      probability: number;
      packet: { dst: string; dport: number };
      verdict: { kind: string; with?: string };
      snat?: string;
    }[];
  }[];
}

for (const backend of ['nft', 'legacy'] as const) {
  describe(`scenario: trace against the kernel (iptables-${backend})`, { skip }, () => {
    it("the endpoints the kernel picks are the trace's leaves, at the trace's rates; the empty Service is refused", () =>
      withNetns([`trace-${backend}`], async (ns) => {
        for (const e of ENDPOINTS) ns.exec(['ip', 'addr', 'add', `${e.split(':')[0]}/32`, 'dev', 'lo']);
        // a route for the Service range, as a node's default route gives it: the route is looked up before nat OUTPUT
        ns.exec(['ip', 'link', 'add', 'svc0', 'type', 'veth', 'peer', 'name', 'svc1']);
        ns.exec(['ip', 'link', 'set', 'svc0', 'up']);
        ns.exec(['ip', 'link', 'set', 'svc1', 'up']);
        ns.exec(['ip', 'route', 'add', '10.96.0.0/16', 'dev', 'svc0']);
        const restored = ns.restore(`iptables-${backend}-restore`, RULES);
        assert.equal(restored.status, 0, restored.stderr);
        assert.equal(await helper(ns, ['serve', ...ENDPOINTS]), 'ready');

        const { report } = await runJson(
          ['trace', '--to', '10.96.0.10:80', '--netns', 'self', '--as-node', '--format', 'json'],
          { netns: ns.name },
        );
        const trace = report as unknown as TraceJson;
        const mine = trace.backends.find((b) => b.save === `iptables-${backend}-save`);
        assert.ok(mine, `the ${backend} backend was read`);
        assert.equal(mine.kubeChains, 7);
        const expected = new Map(mine.leaves.map((l) => [`${l.packet.dst}:${l.packet.dport}`, l.probability]));
        assert.deepEqual([...expected.keys()].sort(), ENDPOINTS);
        assert.ok(mine.leaves.every((l) => l.snat === 'MASQUERADE' && l.verdict.kind === 'accepted'));

        const counts = JSON.parse(await helper(ns, ['count', '10.96.0.10', '80', String(N)])) as Record<
          string,
          number
        > & { errors: Record<string, number> };
        assert.deepEqual(counts.errors, {});
        const { errors: _errors, ...seen } = counts;
        assertRates(seen, expected);

        const { report: empty } = await runJson(
          ['trace', '--to', '10.96.0.20:80', '--netns', 'self', '--as-node', '--format', 'json'],
          { netns: ns.name },
        );
        const leaves =
          (empty as unknown as TraceJson).backends.find((b) => b.save === `iptables-${backend}-save`)?.leaves ?? [];
        assert.deepEqual(
          leaves.map((l) => l.verdict),
          [{ kind: 'rejected', with: 'icmp-port-unreachable' }],
        );
        const refused = JSON.parse(await helper(ns, ['count', '10.96.0.20', '80', '5'])) as {
          errors: Record<string, number>;
        };
        assert.deepEqual(refused.errors, { ECONNREFUSED: 5 });
      }));
  });
}
