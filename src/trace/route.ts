/**
 * The route the kernel takes for a destination, from `ip route show table all`: the default policy rules
 * look in table local, then main, then default; in each, the longest prefix wins and, among equals, the
 * lowest metric; a `throw` route sends the lookup on to the next table. Routes in other tables apply only
 * through `ip rule`, which is not read: the answer says so when such tables exist.
 */
import type { Route, RouteTable } from '../parsers/ip-route.js';
import { inCidr, parseAddress } from '../model/address.js';

export interface RouteAnswer {
  /** 'local': delivered to this node; 'unicast': sent on; 'none': no route (the connect fails EHOSTUNREACH / ENETUNREACH) */
  kind: string;
  route?: Pick<Route, 'dst' | 'table' | 'via' | 'dev' | 'src' | 'source' | 'line' | 'text'> & {
    nexthops: Route['nexthops'];
  };
  /** what this answer could not take into account */
  caveat?: string;
  /**
   * NAT changed the destination before this lookup. For a connection this node opens, the kernel routes again
   * after nat OUTPUT (ip_route_me_harder): a blackhole, unreachable or missing route there drops the SYN, and
   * connect() times out instead of failing at once (measured in a namespace).
   */
  afterNat: boolean;
}

const POLICY_ORDER = ['local', 'main', 'default'];

export function routeFor(table: RouteTable, dst: string, afterNat = false): RouteAnswer {
  const family = parseAddress(dst)?.family;
  const routes = table.routes.filter((r) => r.family === family);
  const others = [...new Set(routes.map((r) => r.table))].filter((t) => !POLICY_ORDER.includes(t));
  const caveats = [
    ...(others.length > 0
      ? [
          `routes in table${others.length === 1 ? '' : 's'} ${others.slice(0, 5).join(', ')} apply only through \`ip rule\`, which was not read`,
        ]
      : []),
    // `ip route` without `table all` lists main only: an address of this node would show as sent on
    ...(routes.some((r) => r.table === 'local')
      ? []
      : [
          'table local is not in the input (`ip route show table all` has it): whether this is an address of the node is not known',
        ]),
  ];
  const caveat = caveats.length > 0 ? caveats.join('; ') : undefined;
  const withCaveat = (a: RouteAnswer): RouteAnswer => (caveat ? { ...a, caveat } : a);
  for (const name of POLICY_ORDER) {
    const best = bestMatch(
      routes.filter((r) => r.table === name),
      dst,
    );
    if (!best || best.type === 'throw') continue;
    const { dst: prefix, table: t, via, dev, src, source, line, text, nexthops } = best;
    return withCaveat({
      kind: best.type,
      route: { dst: prefix, table: t, via, dev, src, source, line, text, nexthops },
      afterNat,
    });
  }
  return withCaveat({ kind: 'none', afterNat });
}

function bestMatch(routes: Route[], dst: string): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (r.dst !== 'default' && !inCidr(dst, r.dst)) continue;
    if (!best || r.bits > best.bits || (r.bits === best.bits && r.metric < best.metric)) best = r;
  }
  return best;
}

/**
 * The node's own addresses: the `local` routes of table local (what -m addrtype LOCAL tests); undefined when
 * the input holds no table local (`ip route` without `table all`): then no address is known to be the node's.
 */
export function localAddresses(table: RouteTable): Set<string> | undefined {
  if (!table.routes.some((r) => r.table === 'local')) return undefined;
  // a whole local prefix (127.0.0.0/8) stands for its addresses; its own network address is not one of them
  return new Set(
    table.routes
      .filter((r) => r.type === 'local' && r.table === 'local' && r.bits === (r.family === 4 ? 32 : 128))
      .map((r) => r.dst.split('/')[0] ?? r.dst),
  );
}
