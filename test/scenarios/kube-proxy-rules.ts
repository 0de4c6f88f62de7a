/**
 * kube-proxy's iptables-mode ruleset pieces, as it writes them, for the trace scenarios: the nat table's
 * head and plumbing (service portals, the masquerade mark and its POSTROUTING), and the `shop/web` Service at
 * 10.96.0.10:80 with three endpoints picked by statistic rules (1/3 each). And the rate check both use.
 */
import assert from 'node:assert/strict';

export const WEB_ENDPOINTS = ['10.244.1.2:8080', '10.244.1.3:8080', '10.244.1.4:8080'];

/** `*nat`, the built-in chains and kube-proxy's own; a scenario adds its chains after it. */
export const NAT_HEAD = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-WEB - [0:0]
:KUBE-SEP-A - [0:0]
:KUBE-SEP-B - [0:0]
:KUBE-SEP-C - [0:0]
`;

/** The portals, masquerade, and shop/web's Service and endpoint chains. */
export const NAT_WEB = `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SVC-WEB ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -m comment --comment "shop/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A
-A KUBE-SVC-WEB -m comment --comment "shop/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B
-A KUBE-SVC-WEB -m comment --comment "shop/web:http -> 10.244.1.4:8080" -j KUBE-SEP-C
-A KUBE-SEP-A -s 10.244.1.2/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-B -s 10.244.1.3/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-B -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.3:8080
-A KUBE-SEP-C -s 10.244.1.4/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-C -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.4:8080
`;

/**
 * The kernel chose exactly the trace's endpoints, each within 5 binomial standard deviations of its share of
 * the connections counted (a correct trace fails this with probability below 1e-6 per endpoint).
 */
export function assertRates(seen: Record<string, number>, expected: Map<string, number>): void {
  const total = Object.values(seen).reduce((a, b) => a + b, 0);
  assert.deepEqual(
    Object.keys(seen).sort(),
    [...expected.keys()].sort(),
    "the kernel chose exactly the trace's leaves",
  );
  for (const [endpoint, p] of expected) {
    const sd = Math.sqrt(total * p * (1 - p));
    const got = seen[endpoint] ?? 0;
    assert.ok(
      Math.abs(got - total * p) <= 5 * sd + 1e-9,
      `${endpoint}: ${got} of ${total}, trace says ${(p * total).toFixed(0)} ± ${(5 * sd).toFixed(0)}`,
    );
  }
}
