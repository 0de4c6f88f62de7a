/**
 * `netdoctor trace` against the kernel with endpoints in their own namespaces over veth, as pods are, in
 * both backends. The node namespace holds a kube-proxy-style ruleset with what the first scenario lacks: a
 * NodePort with externalTrafficPolicy: Local (KUBE-NODEPORTS → KUBE-EXT → KUBE-SVC / KUBE-SVL, addrtype
 * LOCAL from the node's own routes), a Service with internalTrafficPolicy: Local (straight to KUBE-SVL), a
 * rule that matches an ipset (`-m set --match-set … dst,dst`, the sets read from `ipset save`), and an
 * endpoint behind a blackhole route. The trace is read live (rules, sets and routes collected by the CLI);
 * then real connections are opened and the kernel's own answer is read from its connection tracking table
 * (`conntrack -L`, the reply's source is the endpoint NAT chose). The endpoints the kernel chose must be the
 * trace's leaves, each leaf's route must leave by that endpoint's veth, and the counts must lie within 5
 * binomial standard deviations of N × p (a correct trace fails with probability below 1e-6 per endpoint).
 * The blackholed endpoint must fail as the route says (connect: EINVAL).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runJson } from '../helpers.js';
import { scenarioSkipReason, withNetns, type Netns } from './netns.js';
import { NAT_HEAD, NAT_WEB, assertRates } from './kube-proxy-rules.js';

const skip = scenarioSkipReason(['iptables-nft-restore', 'iptables-legacy-restore', 'ipset', 'conntrack']);
const HELPER = join(ROOT, 'test/scenarios/helpers/endpoints.py');
const NODE_IP = '10.0.0.1';
const PODS = ['10.244.1.2', '10.244.1.3', '10.244.1.4'];
const N = 400;

const RULES = `${NAT_HEAD}:KUBE-MARK-DROP - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-EXT-LOCAL - [0:0]
:KUBE-SVC-LOCAL - [0:0]
:KUBE-SVL-LOCAL - [0:0]
:KUBE-SVL-ITP - [0:0]
:KUBE-SVC-GONE - [0:0]
:KUBE-SEP-GONE - [0:0]
${NAT_WEB}-A KUBE-MARK-DROP -j MARK --or-mark 0x8000
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "shop/itp:http cluster IP" -m tcp --dport 80 -j KUBE-SVL-ITP
-A KUBE-SERVICES -d 10.96.0.60/32 -p tcp -m comment --comment "shop/fenced:http has no local endpoints" -m tcp --dport 80 -j KUBE-MARK-DROP
-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "shop/gone:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-GONE
-A KUBE-SERVICES -p tcp -m comment --comment "pinned by an ipset" -m set --match-set ND-PINNED dst,dst -j KUBE-SEP-A
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/local:http" -m tcp --dport 30080 -j KUBE-EXT-LOCAL
-A KUBE-EXT-LOCAL -s 10.244.0.0/16 -m comment --comment "pod traffic for shop/local:http external destinations" -j KUBE-SVC-LOCAL
-A KUBE-EXT-LOCAL -m comment --comment "masquerade LOCAL traffic for shop/local:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-LOCAL -m comment --comment "route LOCAL traffic for shop/local:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-LOCAL
-A KUBE-EXT-LOCAL -j KUBE-SVL-LOCAL
-A KUBE-SVC-LOCAL -m comment --comment "shop/local:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A
-A KUBE-SVC-LOCAL -m comment --comment "shop/local:http -> 10.244.1.3:8080" -j KUBE-SEP-B
-A KUBE-SVL-LOCAL -m comment --comment "shop/local:http -> 10.244.1.4:8080" -j KUBE-SEP-C
-A KUBE-SVL-ITP -m comment --comment "shop/itp:http -> 10.244.1.4:8080" -j KUBE-SEP-C
-A KUBE-SVC-GONE -m comment --comment "shop/gone:http -> 10.244.9.9:8080" -j KUBE-SEP-GONE
-A KUBE-SEP-GONE -p tcp -m comment --comment "shop/gone:http" -m tcp -j DNAT --to-destination 10.244.9.9:8080
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
COMMIT
`;

interface TraceJson {
  routes: { source?: string; notRead?: string };
  ipsets: { sets?: number; notRead?: string };
  backends: {
    save: string;
    leaves: {
      probability: number;
      assumed: string[];
      packet: { dst: string; dport: number };
      verdict: { kind: string };
      route?: { kind: string; afterNat: boolean; route?: { dev?: string; text: string } };
    }[];
  }[];
}

/** A pod: its own namespace, eth0 to a veth on the node, its address, a default route back to the node. */
function plugPod(node: Netns, pod: Netns, index: number, ip: string): string {
  const dev = `vep${index}`;
  node.exec(['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name]);
  node.exec(['ip', 'link', 'set', dev, 'up']);
  node.exec(['ip', 'route', 'add', `${ip}/32`, 'dev', dev, 'scope', 'link']);
  pod.exec(['ip', 'link', 'set', 'eth0', 'up']);
  pod.exec(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
  pod.exec(['ip', 'route', 'add', 'default', 'dev', 'eth0', 'scope', 'link']);
  pod.sysctl('net.ipv4.conf.all.rp_filter', '0');
  return dev;
}

async function trace(node: Netns, to: string): Promise<TraceJson> {
  const { report, stderr } = await runJson(['trace', '--to', to, '--netns', 'self', '--as-node'], { netns: node.name });
  assert.ok(report, stderr);
  return report as unknown as TraceJson;
}

/** The kernel's choice per connection: the reply source of each tracked connection to the address. */
function conntrackChoices(node: Netns, dst: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of node.exec(['conntrack', '-L', '-p', 'tcp', '--orig-dst', dst]).split('\n')) {
    const sources = [...line.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1]);
    const sport = [...line.matchAll(/\bsport=(\d+)/g)].map((m) => m[1]);
    if (sources.length < 2) continue;
    const endpoint = `${sources[1]}:${sport[1]}`;
    out[endpoint] = (out[endpoint] ?? 0) + 1;
  }
  return out;
}

for (const backend of ['nft', 'legacy'] as const) {
  describe(`scenario: trace to pods over veth, with sets and routes (iptables-${backend})`, { skip }, () => {
    it("kube-proxy's Local policies, an ipset rule and a blackholed endpoint: the kernel's conntrack answers as the trace says", () =>
      withNetns([`tv-${backend}`, 'tv-a', 'tv-b', 'tv-c'], async (node, ...pods) => {
        node.exec(['ip', 'addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
        node.sysctl('net.ipv4.conf.all.rp_filter', '0');
        const devs = PODS.map((ip, i) => plugPod(node, pods[i] as Netns, i, ip));
        // the Service range routed as a node's default route does (looked up before nat OUTPUT), and a
        // blackhole over a pod range whose pods are gone (Calico leaves such routes: calico#2612)
        node.exec(['ip', 'link', 'add', 'svc0', 'type', 'veth', 'peer', 'name', 'svc1']);
        node.exec(['ip', 'link', 'set', 'svc0', 'up']);
        node.exec(['ip', 'link', 'set', 'svc1', 'up']);
        node.exec(['ip', 'route', 'add', '10.96.0.0/16', 'dev', 'svc0']);
        node.exec(['ip', 'route', 'add', 'blackhole', '10.244.9.0/24']);
        node.exec(['ipset', 'create', 'ND-PINNED', 'hash:ip,port']);
        node.exec(['ipset', 'add', 'ND-PINNED', '10.96.0.40,tcp:80']);
        const restored = node.restore(`iptables-${backend}-restore`, RULES);
        assert.equal(restored.status, 0, restored.stderr);
        for (const [i, pod] of pods.entries())
          assert.equal(await pod.script(HELPER, 'serve', `${PODS[i]}:8080`), 'ready');

        const mine = (t: TraceJson) => {
          const b = t.backends.find((x) => x.save === `iptables-${backend}-save`);
          assert.ok(b, `the ${backend} backend was read`);
          return b.leaves;
        };
        const expectations: [string, Map<string, number>][] = [
          ['10.96.0.10', new Map(PODS.map((ip) => [`${ip}:8080`, 1 / 3]))],
          [
            NODE_IP,
            new Map([
              [`${PODS[0]}:8080`, 0.5],
              [`${PODS[1]}:8080`, 0.5],
            ]),
          ],
          ['10.96.0.30', new Map([[`${PODS[2]}:8080`, 1]])],
          ['10.96.0.40', new Map([[`${PODS[0]}:8080`, 1]])],
        ];
        for (const [dst, expected] of expectations) {
          const port = dst === NODE_IP ? 30080 : 80;
          const t = await trace(node, `${dst}:${port}`);
          assert.equal(t.routes.notRead, undefined, 'routes collected');
          assert.equal(t.ipsets.notRead, undefined, 'sets collected');
          const leaves = mine(t);
          assert.deepEqual(
            leaves.map((l) => l.assumed),
            leaves.map(() => []),
            `${dst}: every match decided`,
          );
          const shares = new Map<string, number>();
          for (const l of leaves) {
            const ep = `${l.packet.dst}:${l.packet.dport}`;
            shares.set(ep, (shares.get(ep) ?? 0) + l.probability);
            // the route for the endpoint leaves by its pod's veth
            assert.equal(l.route?.kind, 'unicast', `${dst} → ${ep}: a route`);
            assert.equal(l.route.route?.dev, devs[PODS.indexOf(l.packet.dst)], `${dst} → ${ep}: by its veth`);
          }
          assert.deepEqual([...shares.keys()].sort(), [...expected.keys()].sort(), `${dst}: the trace's endpoints`);
          for (const [ep, p] of expected)
            assert.ok(Math.abs((shares.get(ep) ?? 0) - p) < 1e-6, `${dst} → ${ep} at ${p}`);

          const answered = JSON.parse(await node.script(HELPER, 'count', dst, String(port), String(N))) as {
            errors: Record<string, number>;
          };
          assert.deepEqual(answered.errors, {}, `${dst}: every connection answered`);
          assertRates(conntrackChoices(node, dst), expected);
        }

        // after nat OUTPUT's DNAT the kernel routes again and drops the SYN there: no error, a timeout
        const gone = mine(await trace(node, '10.96.0.50:80'));
        assert.deepEqual(
          gone.map((l) => [l.packet.dst, l.route?.kind, l.route?.afterNat, l.route?.route?.text.trim()]),
          [['10.244.9.9', 'blackhole', true, 'blackhole 10.244.9.0/24']],
        );
        const failed = JSON.parse(await node.script(HELPER, 'count', '10.96.0.50', '80', '2', '2')) as {
          errors: Record<string, number>;
        };
        assert.deepEqual(failed.errors, { ETIMEDOUT: 2 }, 'the blackhole after DNAT drops the SYN as the trace says');
        // KUBE-MARK-DROP in nat, then KUBE-FIREWALL in filter OUTPUT: dropped, and the kernel drops it
        const fenced = mine(await trace(node, '10.96.0.60:80'));
        assert.deepEqual(
          fenced.map((l) => [l.verdict.kind, l.probability]),
          [['dropped', 1]],
        );
        const fencedDial = JSON.parse(await node.script(HELPER, 'count', '10.96.0.60', '80', '2', '2')) as {
          errors: Record<string, number>;
        };
        assert.deepEqual(fencedDial.errors, { ETIMEDOUT: 2 }, 'dropped in filter OUTPUT: the SYN never leaves');

        // with no NAT in the way, the same route fails the connect at once (EINVAL), as the trace says too
        const direct = mine(await trace(node, '10.244.9.9:8080'));
        assert.deepEqual(
          direct.map((l) => [l.route?.kind, l.route?.afterNat]),
          [['blackhole', false]],
        );
        const refused = JSON.parse(await node.script(HELPER, 'count', '10.244.9.9', '8080', '2', '2')) as {
          errors: Record<string, number>;
        };
        assert.deepEqual(refused.errors, { EINVAL: 2 });
      }));
  });
}
