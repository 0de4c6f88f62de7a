import { validK8sName } from '../knowledge/k8s-names.js';
import { ParseError } from './parse-error.js';
import { endpointKey } from '../model/address.js';

/**
 * `kubectl get services,endpoints,endpointslices -A -o json` output (a List, or single objects): what the
 * node rules need of it — which addresses and ports are the endpoints of which Service.
 */
export interface ServiceInfo {
  /** "default/web" */
  name: string;
  clusterIPs: string[];
  ports: { port: number; protocol: string; nodePort?: number }[];
}

/** A Node as `kubectl get nodes -o json` shows it: what the cluster rules read of it. */
export interface NodeInfo {
  name: string;
  annotations: Record<string, string>;
  kernelVersion?: string;
  osImage?: string;
  kubeProxyVersion?: string;
  kubeletVersion?: string;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  source: string;
}

/** A DaemonSet's containers' images: kube-proxy's tells its version and which iptables it carries. */
export interface DaemonSetInfo {
  /** "kube-system/kube-proxy" */
  name: string;
  images: string[];
  source: string;
}

/** kube-proxy's ConfigMap: its proxy mode, from the KubeProxyConfiguration in `config.conf`. */
export interface KubeProxyConfig {
  /** "kube-system/kube-proxy" */
  name: string;
  /** "ipvs", "iptables", "nftables"; "" means the default (iptables) */
  mode: string;
  /** the line as written, for evidence */
  line?: string;
  source: string;
}

export interface ClusterObjects {
  services: ServiceInfo[];
  nodes: NodeInfo[];
  daemonSets: DaemonSetInfo[];
  kubeProxyConfigs: KubeProxyConfig[];
  /** which file each Service came from, for evidence */
  serviceSources: Map<string, string>;
  /** "default/web" → "10.244.2.3:8080", … (ready or still serving) */
  endpoints: Map<string, Set<string>>;
  /** which file each Service's endpoints came from, for evidence */
  sources: Map<string, string>;
  /** kube-apiserver static pods (kubeadm's mirror pods in kube-system), with the NodePort range they set */
  apiServers: ApiServerInfo[];
}

export interface ApiServerInfo {
  /** "kube-system/kube-apiserver-cp-1" */
  name: string;
  /** `--service-node-port-range` as written, when the pod's command sets it */
  nodePortRangeFlag?: string;
  source: string;
}

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, unknown>;
}
type Obj = {
  kind?: string;
  metadata?: Meta;
  items?: Obj[];
  spec?: unknown;
  status?: unknown;
  subsets?: unknown;
  endpoints?: unknown;
  ports?: unknown;
};

export function emptyClusterObjects(): ClusterObjects {
  return {
    services: [],
    nodes: [],
    daemonSets: [],
    kubeProxyConfigs: [],
    serviceSources: new Map(),
    endpoints: new Map(),
    sources: new Map(),
    apiServers: [],
  };
}

/** Adds the objects of one JSON file to `into`. */
export function addK8sJson(into: ClusterObjects, text: string, source: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError(source, 1, `not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  // JSON from a stranger: any value may be null where the shape says object
  const visit = (o: Obj | null, depth: number) => {
    if (!o || typeof o !== 'object' || depth > 3) return;
    if (Array.isArray(o.items)) {
      o.items.forEach((i) => {
        visit(i, depth + 1);
      });
      return;
    }
    // Names Kubernetes would not allow are not names: the object is passed over (they end up in commands).
    if (o.kind === 'Node') {
      const nodeName = validK8sName(o.metadata?.name ?? '', 'subdomain');
      // the same Node in two files of a dump is one node (the later file's copy is kept)
      if (nodeName) into.nodes = [...into.nodes.filter((n) => n.name !== nodeName), node(nodeName, o, source)];
      return;
    }
    addNamespaced(into, o, source);
  };
  visit(doc as Obj, 0);
}

/** `mode: "ipvs"` from a KubeProxyConfiguration (YAML), read as a line: the one field the rules need. */
function proxyMode(conf: string): { mode: string; line?: string } {
  const line = conf.split('\n').find((l) => /^mode:/.test(l));
  const mode = /^mode:\s*["']?([A-Za-z]*)["']?\s*$/.exec(line ?? '')?.[1] ?? '';
  return line === undefined ? { mode } : { mode, line: line.slice(0, 200) };
}

function podImages(spec: unknown): string[] {
  const pod = (spec as { template?: { spec?: { containers?: unknown; initContainers?: unknown } } } | undefined)
    ?.template?.spec;
  return [...arr(pod?.containers), ...arr(pod?.initContainers)]
    .map((c) => (c as { image?: unknown }).image)
    .filter((i): i is string => typeof i === 'string')
    .map((i) => i.slice(0, 256));
}

/** A namespaced object of a dump: its kind decides what it adds (a name Kubernetes would not allow: nothing). */
function addNamespaced(into: ClusterObjects, o: Obj, source: string): void {
  const namespace = validK8sName(o.metadata?.namespace ?? 'default', 'label');
  const name = validK8sName(o.metadata?.name ?? '', 'subdomain');
  if (!namespace || (!name && o.kind !== 'EndpointSlice')) return;
  const id = `${namespace}/${name ?? ''}`;
  if (o.kind === 'DaemonSet') into.daemonSets.push({ name: id, images: podImages(o.spec), source });
  if (o.kind === 'ConfigMap' && name === 'kube-proxy') {
    const conf = (o as { data?: Record<string, unknown> }).data?.['config.conf'];
    if (typeof conf === 'string') into.kubeProxyConfigs.push({ name: id, ...proxyMode(conf), source });
  }
  if (o.kind === 'Service') {
    into.services = [
      ...into.services.filter((x) => x.name !== id),
      service(id, o.spec as Record<string, unknown> | undefined),
    ];
    into.serviceSources.set(id, source);
  }
  if (o.kind === 'Endpoints') addAll(into, id, source, endpointsAddresses(o.subsets));
  if (o.kind === 'Pod' && namespace === 'kube-system' && o.metadata?.labels?.component === 'kube-apiserver')
    into.apiServers.push({ name: id, nodePortRangeFlag: nodePortRangeFlag(o.spec), source });
  if (o.kind === 'EndpointSlice') {
    const svc = validK8sName(o.metadata?.labels?.['kubernetes.io/service-name'], 'subdomain');
    if (svc) addAll(into, `${namespace}/${svc}`, source, sliceAddresses(o.endpoints, o.ports));
  }
}

const RANGE_FLAG = '--service-node-port-range';

/** `--service-node-port-range=A-B` (or as two words) in a pod's container commands and arguments. */
function nodePortRangeFlag(spec: unknown): string | undefined {
  for (const c of arr((spec as { containers?: unknown } | undefined)?.containers)) {
    const words = [...arr((c as { command?: unknown }).command), ...arr((c as { args?: unknown }).args)].filter(
      (w): w is string => typeof w === 'string',
    );
    for (const [i, w] of words.entries()) {
      if (w.startsWith(`${RANGE_FLAG}=`)) return w.slice(RANGE_FLAG.length + 1).slice(0, 64);
      if (w === RANGE_FLAG) return words[i + 1]?.slice(0, 64);
    }
  }
  return undefined;
}

function node(name: string, o: Obj, source: string): NodeInfo {
  const status = (o.status ?? {}) as { nodeInfo?: Record<string, unknown>; conditions?: unknown };
  const info = status.nodeInfo ?? {};
  const str = (x: unknown) => (typeof x === 'string' ? x.slice(0, 256) : undefined);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata?.annotations ?? {}))
    if (k.startsWith('netdoctor.io/') && typeof v === 'string') annotations[k] = v.slice(0, 1024);
  return {
    name,
    annotations,
    kernelVersion: str(info.kernelVersion),
    osImage: str(info.osImage),
    kubeProxyVersion: str(info.kubeProxyVersion),
    kubeletVersion: str(info.kubeletVersion),
    conditions: arr(status.conditions).map((c) => {
      const x = c as Record<string, unknown>;
      return { type: str(x.type) ?? '', status: str(x.status) ?? '', reason: str(x.reason), message: str(x.message) };
    }),
    source,
  };
}

function service(name: string, spec: Record<string, unknown> | undefined): ServiceInfo {
  const ips = [...arr(spec?.clusterIPs), spec?.clusterIP].filter(
    (x): x is string => typeof x === 'string' && x !== 'None',
  );
  const ports = arr(spec?.ports).map((p) => {
    const port = p as { port?: unknown; protocol?: unknown; nodePort?: unknown };
    return {
      port: Number(port.port),
      protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP',
      nodePort: typeof port.nodePort === 'number' ? port.nodePort : undefined,
    };
  });
  return { name, clusterIPs: [...new Set(ips)], ports: ports.filter((p) => Number.isInteger(p.port)) };
}

function endpointsAddresses(subsets: unknown): string[] {
  const out: string[] = [];
  for (const s of arr(subsets)) {
    const subset = s as { addresses?: unknown; ports?: unknown };
    for (const a of arr(subset.addresses)) {
      for (const p of arr(subset.ports)) out.push(endpoint((a as { ip?: unknown }).ip, (p as { port?: unknown }).port));
    }
  }
  return out.filter(Boolean);
}

function sliceAddresses(endpoints: unknown, ports: unknown): string[] {
  const out: string[] = [];
  for (const e of arr(endpoints)) {
    const ep = e as { addresses?: unknown; conditions?: { ready?: boolean; serving?: boolean } };
    // A terminating endpoint that still serves is an endpoint; one that does not is not.
    if (ep.conditions?.ready === false && ep.conditions.serving !== true) continue;
    for (const a of arr(ep.addresses))
      for (const p of arr(ports)) out.push(endpoint(a, (p as { port?: unknown }).port));
  }
  return out.filter(Boolean);
}

function endpoint(ip: unknown, port: unknown): string {
  if (typeof ip !== 'string' || typeof port !== 'number') return '';
  return endpointKey(ip, port);
}

function addAll(into: ClusterObjects, svc: string, source: string, addresses: string[]): void {
  const set = into.endpoints.get(svc) ?? new Set<string>();
  for (const a of addresses) set.add(a);
  into.endpoints.set(svc, set);
  into.sources.set(svc, source);
}

function arr(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
