/**
 * In kube-proxy's IPVS mode a Service IP is an IPVS virtual service: after iptables, the kernel's IPVS picks
 * a real server by its scheduler and weights, and a connection entry for the same client tuple captures a
 * new connection first. The trace shows the virtual service, its real servers (weight 0 marked: a pod being
 * removed, which new connections should no longer reach) and the entries toward each, from the IPVS
 * artefacts (`/proc/net/ip_vs`, `ip_vs_conn`, or ipvsadm's text).
 */
import type { NetnsFacts } from '../facts/types.js';
import { endpointKey } from '../model/address.js';
import type { Packet } from './walk.js';

export interface IpvsStep {
  source: string;
  service: string;
  scheduler?: string;
  line: number;
  text: string;
  reals: {
    server: string;
    weight?: number;
    active?: number;
    inactive?: number;
    /** weight 0: kube-proxy is draining it; a new connection should not be sent there */
    draining: boolean;
    /** share of new connections (rr: equal among weight > 0; wrr: by weight); undefined for other schedulers */
    share?: number;
    /** connection-table entries toward it, by state */
    entries?: Record<string, number>;
    line: number;
    text: string;
  }[];
}

export function ipvsStep(netns: NetnsFacts, packet: Packet): IpvsStep | undefined {
  const table = netns.ipvs.table;
  if (!table) return undefined;
  const key = endpointKey(packet.dst, packet.dport);
  const svc = table.services.find((s) => s.key === key && s.protocol.toLowerCase() === packet.proto);
  if (!svc) return undefined;
  const total = svc.reals.reduce((n, r) => n + (r.weight ?? 0), 0);
  const live = svc.reals.filter((r) => (r.weight ?? 0) > 0).length;
  // rr takes every server of weight > 0 in turn, wrr in proportion to weight; the others (lc, sh, mh…)
  // depend on load or the client's address: no share is made up for them
  const share = (weight: number | undefined): number | undefined => {
    if (weight === undefined) return undefined;
    if (weight === 0) return 0;
    if (svc.scheduler === 'rr') return live > 0 ? 1 / live : undefined;
    if (svc.scheduler === 'wrr') return total > 0 ? weight / total : undefined;
    return undefined;
  };
  return {
    source: table.source,
    service: svc.key,
    ...(svc.scheduler ? { scheduler: svc.scheduler } : {}),
    line: svc.line,
    text: svc.text,
    reals: svc.reals.map((r) => {
      const server = endpointKey(r.address, r.port);
      const conns = netns.ipvs.conns?.byDestination.get(server);
      return {
        server,
        ...(r.weight !== undefined ? { weight: r.weight } : {}),
        ...(r.active !== undefined ? { active: r.active } : {}),
        ...(r.inactive !== undefined ? { inactive: r.inactive } : {}),
        draining: r.weight === 0,
        ...(share(r.weight) !== undefined ? { share: share(r.weight) } : {}),
        ...(conns ? { entries: { ...conns.byState } } : {}),
        line: r.line,
        text: r.text,
      };
    }),
  };
}
