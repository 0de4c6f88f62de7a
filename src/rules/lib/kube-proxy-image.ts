import { majorMinor } from '../../knowledge/versions.js';
import type { DaemonSetInfo } from '../../parsers/k8s-objects.js';

/** kube-proxy's image among the DaemonSets' ("registry.k8s.io/kube-proxy:v1.31.2"), with its tag's version. */
export function kubeProxyImage(
  daemonSets: DaemonSetInfo[],
): { ds: DaemonSetInfo; image: string; version?: [number, number] } | undefined {
  for (const ds of daemonSets) {
    const image = ds.images.find((i) => /\/kube-proxy[^/]*:|^kube-proxy:/.test(i));
    if (image) {
      const version = majorMinor(/:v?(\d+\.\d+)/.exec(image)?.[1]);
      return { ds, image, ...(version ? { version } : {}) };
    }
  }
  return undefined;
}
