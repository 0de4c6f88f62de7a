/**
 * What the agent publishes on its Node for `netdoctor cluster` (docs/rules/nodeport-in-ephemeral-range.md):
 * the host namespace's ephemeral port range and reserved ports as the kernel holds them. Only read values are
 * published, never the kernel default standing in for a range that could not be read.
 */
import type { PortRange } from './port-range.js';
import { endpointKey } from './address.js';

export const RANGE_ANNOTATION = 'netdoctor.io/ephemeral-port-range';
export const RESERVED_ANNOTATION = 'netdoctor.io/reserved-ports';
/**
 * The node's IPVS virtual services and the real servers that take new connections (weight > 0), for
 * ipvs-real-server-not-endpoint: "10.96.0.10:53/UDP=10.244.1.2:53,10.244.2.3:53;…", sorted; cut at
 * IPVS_ANNOTATION_MAX characters with a final ";…" (the services after the cut are not published).
 */
export const IPVS_ANNOTATION = 'netdoctor.io/ipvs-real-servers';
const IPVS_ANNOTATION_MAX = 64 * 1024;
const CUT = ';…';

interface IpvsService {
  protocol: string;
  key: string;
  fwmark?: number;
  reals: { address: string; port: number; weight?: number }[];
}

export function ipvsAnnotation(services: IpvsService[]): string {
  const entries = services
    .filter((s) => s.fwmark === undefined)
    .map((s) => {
      const reals = s.reals.filter((r) => (r.weight ?? 1) > 0).map((r) => endpointKey(r.address, r.port));
      return `${s.key}/${s.protocol}=${[...new Set(reals)].sort().join(',')}`;
    })
    .sort();
  let out = '';
  for (const e of entries) {
    const next = out === '' ? e : `${out};${e}`;
    if (next.length + CUT.length > IPVS_ANNOTATION_MAX) return `${out}${CUT}`;
    out = next;
  }
  return out;
}

/** The published entries, and whether the list was cut (services past the cut are unknown). */
export function parseIpvsAnnotation(text: string): { services: Map<string, string[]>; cut: boolean } {
  const cut = text.endsWith(CUT);
  const services = new Map<string, string[]>();
  for (const entry of (cut ? text.slice(0, -CUT.length) : text).split(';')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const reals = entry.slice(eq + 1);
    services.set(entry.slice(0, eq), reals === '' ? [] : reals.split(','));
  }
  return { services, cut };
}

/** "32768-60999" and "30000-32767,40000" ("" for none), in the forms the cluster rule parses. */
export function portAnnotations(ephemeral: {
  range: PortRange;
  reserved: PortRange[];
  assumed: boolean;
}): Record<string, string> | undefined {
  if (ephemeral.assumed) return undefined;
  return {
    [RANGE_ANNOTATION]: `${ephemeral.range.lo}-${ephemeral.range.hi}`,
    [RESERVED_ANNOTATION]: ephemeral.reserved.map((r) => (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`)).join(','),
  };
}
