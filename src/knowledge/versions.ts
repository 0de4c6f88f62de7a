/** "4.19.0-18-amd64" or "v1.13.10" → [4, 19] / [1, 13]; undefined when it does not start with a version. */
export function majorMinor(text: string | undefined): [number, number] | undefined {
  const m = text ? /^v?(\d+)\.(\d+)/.exec(text) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function atLeast(v: [number, number], min: [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/**
 * IPVS: kernels from 5.9 schedule a SYN that reuses an old connection entry to a live real server without
 * the 1 s delay (f0a5e4d7a594, 35dfb013149f), so conn_reuse_mode=1 is safe there (FACTS.md §5).
 */
export const IPVS_CONN_REUSE_FIXED: [number, number] = [5, 9];

/**
 * IPVS mode's end (KEP-5495, kubernetes/enhancements#5495): deprecated in 1.35 (kube-proxy logs and records an
 * `IPVSDeprecation` event, kubernetes#134539); the `KubeProxyIPVS` feature gate from 1.37; planned default
 * off in 1.40 and locked off in 1.43, after which `mode: ipvs` no longer starts (enhancements#6120).
 */
export const IPVS_DEPRECATED: [number, number] = [1, 35];
export const IPVS_GATE_DEFAULT_OFF: [number, number] = [1, 40];
