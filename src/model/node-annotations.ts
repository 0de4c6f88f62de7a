/**
 * What the agent publishes on its Node for `netdoctor cluster` (docs/rules/nodeport-in-ephemeral-range.md):
 * the host namespace's ephemeral port range and reserved ports as the kernel holds them. Only read values are
 * published, never the kernel default standing in for a range that could not be read.
 */
import type { PortRange } from './port-range.js';

export const RANGE_ANNOTATION = 'netdoctor.io/ephemeral-port-range';
export const RESERVED_ANNOTATION = 'netdoctor.io/reserved-ports';

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
