/**
 * `netdoctor cluster` against the API: the objects the cluster rules read — Nodes, Services, DaemonSets and
 * kube-proxy's ConfigMap — listed with the user's kubeconfig and handed to the same reader as a dump, so the
 * live path and `--from-dump` judge the same objects the same way. A list the API refuses is a problem named
 * by what was asked; the rules that needed it are not checked.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { addK8sJson, emptyClusterObjects } from '../../parsers/k8s-objects.js';
import { explainApiError } from './remote-node.js';

interface LiveRead {
  cluster: ReturnType<typeof emptyClusterObjects>;
  files: string[];
  problems: { artefact: string; reason: string }[];
}

export async function readClusterLive(kc: KubeConfig): Promise<LiveRead> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const out: LiveRead = { cluster: emptyClusterObjects(), files: [], problems: [] };
  const asked: [string, string, () => Promise<{ items: object[] } | object>][] = [
    ['nodes', 'Node', () => core.listNode()],
    ['services -A', 'Service', () => core.listServiceForAllNamespaces()],
    ['daemonsets -A', 'DaemonSet', () => apps.listDaemonSetForAllNamespaces()],
    [
      'configmap -n kube-system kube-proxy',
      'ConfigMap',
      () => core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system' }),
    ],
    ['endpointslices -A', 'EndpointSlice', () => discovery.listEndpointSliceForAllNamespaces()],
    // kubeadm's API server runs as a static pod whose mirror pod shows its flags (--service-node-port-range)
    [
      'pods -n kube-system -l component=kube-apiserver',
      'Pod',
      () => core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'component=kube-apiserver' }),
    ],
  ];
  for (const [what, kind, list] of asked) {
    const source = `kubectl get ${what}`;
    try {
      const got = await list();
      const items = 'items' in got ? got.items : [got];
      // client-node's list items carry no kind: the reader keys on it, as on `kubectl get -o json` output
      addK8sJson(out.cluster, JSON.stringify({ items: items.map((i) => ({ ...i, kind })) }), source);
      out.files.push(source);
    } catch (e) {
      if (kind === 'ConfigMap' && (e as { code?: number }).code === 404) continue; // no kube-proxy ConfigMap: no kube-proxy to judge
      out.problems.push({ artefact: source, reason: explainApiError(e, 'refused', 'kube-system') });
    }
  }
  return out;
}
