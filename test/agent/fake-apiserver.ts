/**
 * A local stand-in for kube-apiserver (node:http on 127.0.0.1, port 0): serves recorded Node objects,
 * records every request, and applies the API's own rules to what it receives — a node status PATCH must be a
 * strategic merge patch (conditions merge by `type`; a json-patch of an object is refused as the API refuses
 * it), an events.k8s.io/v1 Event must pass the checks of ValidateEventCreate (eventTime, reportingController,
 * reportingInstance ≤ 128, action ≤ 128, reason ≤ 128, note ≤ 1 KiB, type Normal|Warning, the namespace
 * rule for cluster-scoped objects), and a second Event of one name is a 409. Faults: down, 403, slow.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';

interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
  status: number;
}

type Fault = 'none' | 'forbidden' | 'slow';

interface Condition {
  type: string;
  status: string;
  [k: string]: unknown;
}
interface NodeObject {
  metadata: { name: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  status: { conditions: Condition[] };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

interface PodObject {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; image: string; args?: string[] }[] };
  status: { phase: string; reason?: string };
  log: string;
}

/** The "kubelet": runs a created pod's container for real; its stdout becomes the pod's log. */
export type Kubelet = (pod: PodObject) => Promise<{ stdout: string; code: number }>;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly pods = new Map<string, PodObject>();
  kubelet: Kubelet | undefined;
  /** recorded Services, DaemonSets and ConfigMaps the list endpoints serve (`seedFromDump`) */
  readonly recorded: {
    Service: unknown[];
    DaemonSet: unknown[];
    ConfigMap: unknown[];
    Pod: unknown[];
    EndpointSlice: unknown[];
  } = {
    Service: [],
    DaemonSet: [],
    ConfigMap: [],
    Pod: [],
    EndpointSlice: [],
  };
  /** the namespace's Pod Security admission refuses host namespaces */
  podSecurityBaseline = false;
  readonly nodes = new Map<string, NodeObject>();
  readonly events: Record<string, unknown>[] = [];
  fault: Fault = 'none';
  slowMs = 30_000;
  /** when set, the server's state (requests, nodes, events) is written here after every request */
  stateFile: string | undefined;
  private server: Server | undefined;
  port = 0;

  constructor(nodeFixtures: string[] = ['node-worker-1.json']) {
    for (const f of nodeFixtures) {
      const node = JSON.parse(readFileSync(join(FIXTURES, 'k8s', f), 'utf8')) as NodeObject;
      this.nodes.set(node.metadata.name, node);
    }
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.reply(req, res, 500, status(500, 'InternalError', (e as Error).message));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A kubeconfig pointing at this server. */
  writeKubeconfig(path: string): string {
    return writeKubeconfig(path, this.port);
  }

  /** Serves the objects of a recorded dump (kubectl get -o json files): Nodes replace the fixture nodes. */
  seedFromDump(dir: string): void {
    this.nodes.clear();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { items?: { kind: string }[] };
      for (const item of doc.items ?? []) {
        if (item.kind === 'Node') {
          const node = item as unknown as NodeObject;
          this.nodes.set(node.metadata.name, node);
        } else if (
          item.kind === 'Service' ||
          item.kind === 'DaemonSet' ||
          item.kind === 'ConfigMap' ||
          item.kind === 'Pod' ||
          item.kind === 'EndpointSlice'
        )
          this.recorded[item.kind].push(item);
      }
    }
  }

  condition(node: string, type: string): Condition | undefined {
    return this.nodes.get(node)?.status.conditions.find((c) => c.type === type);
  }

  private reply(req: IncomingMessage, res: ServerResponse, code: number, body: unknown, recorded?: unknown): void {
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      body: recorded,
      status: code,
    });
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.stateFile)
      writeFileSync(
        this.stateFile,
        JSON.stringify({ requests: this.requests, nodes: [...this.nodes.values()], events: this.events }),
      );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      this.reply(req, res, 400, status(400, 'BadRequest', 'invalid JSON'), raw);
      return;
    }
    // the test's own control, for a server running in another network namespace
    const fault = /^\/_control\/fault\/(none|forbidden|slow)$/.exec(req.url ?? '');
    if (req.method === 'POST' && fault) {
      this.fault = fault[1] as Fault;
      res.writeHead(204).end();
      return;
    }
    if (this.fault === 'slow') await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.fault === 'forbidden') {
      this.reply(
        req,
        res,
        403,
        status(
          403,
          'Forbidden',
          `User "system:serviceaccount:netdoctor:netdoctor-agent" cannot ${req.method} resource`,
        ),
        body,
      );
      return;
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path))) {
      // a list: recorded pods of the namespace matching an equality label selector (k=v[,k=v])
      const selector = new URL(req.url ?? '', 'http://x').searchParams.get('labelSelector') ?? '';
      const wanted = selector
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('='));
      const items = this.recorded.Pod.filter((p) => {
        const meta = (p as { metadata: { namespace?: string; labels?: Record<string, string> } }).metadata;
        return meta.namespace === m?.[1] && wanted.every(([k = '', v]) => meta.labels?.[k] === v);
      });
      this.reply(req, res, 200, list('PodList', 'v1', items));
    } else if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?(\/log)?$/.exec(path))) {
      this.podRequest(req, res, m[1] ?? '', m[2], m[3] !== undefined, body);
    } else if (req.method === 'GET' && CLUSTER_LISTS[path]) {
      const [kind, apiVersion, recorded] = CLUSTER_LISTS[path];
      this.reply(req, res, 200, list(`${kind}List`, apiVersion, this.recorded[recorded]));
    } else if (req.method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(path))) {
      const cm = this.recorded.ConfigMap.find((c) => {
        const meta = (c as { metadata: { name: string; namespace: string } }).metadata;
        return meta.namespace === m?.[1] && meta.name === m[2];
      });
      if (cm) this.reply(req, res, 200, cm);
      else this.reply(req, res, 404, status(404, 'NotFound', `configmaps "${m[2] ?? ''}" not found`));
    } else if (req.method === 'GET' && path === '/api/v1/nodes') {
      const items = [...this.nodes.values()].map((n) => ({ apiVersion: 'v1', kind: 'Node', ...n }));
      this.reply(req, res, 200, list('NodeList', 'v1', items));
    } else if (req.method === 'GET' && (m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path))) {
      const node = this.nodes.get(m[1] ?? '');
      if (node) this.reply(req, res, 200, node);
      else this.reply(req, res, 404, status(404, 'NotFound', `nodes "${m[1]}" not found`));
    } else if (req.method === 'PATCH' && (m = /^\/api\/v1\/nodes\/([^/]+)\/status$/.exec(path))) {
      this.patchNodeStatus(req, res, m[1] ?? '', body);
    } else if (req.method === 'POST' && (m = /^\/apis\/events\.k8s\.io\/v1\/namespaces\/([^/]+)\/events$/.exec(path))) {
      this.createEvent(req, res, m[1] ?? '', body);
    } else this.reply(req, res, 404, status(404, 'NotFound', `the server could not find the requested resource`), body);
  }

  private podRequest(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string | undefined,
    log: boolean,
    body: unknown,
  ): void {
    const key = `${namespace}/${name ?? ''}`;
    if (req.method === 'POST' && !name) {
      const pod = body as PodObject & { spec: { hostPID?: boolean; hostNetwork?: boolean } };
      const podName = pod.metadata.name;
      if (!DNS_SUBDOMAIN.test(podName) || podName.length > 253)
        return this.reply(
          req,
          res,
          422,
          status(422, 'Invalid', `Pod "${podName}" is invalid: metadata.name: Invalid value`),
          body,
        );
      if (!pod.spec.containers.length || pod.spec.containers.some((c) => !c.image))
        return this.reply(req, res, 422, status(422, 'Invalid', 'spec.containers[0].image: Required value'), body);
      if (this.podSecurityBaseline && (pod.spec.hostPID || pod.spec.hostNetwork))
        return this.reply(
          req,
          res,
          403,
          status(
            403,
            'Forbidden',
            `pods "${podName}" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true)`,
          ),
          body,
        );
      if (this.pods.has(`${namespace}/${podName}`))
        return this.reply(req, res, 409, status(409, 'AlreadyExists', `pods "${podName}" already exists`), body);
      const stored: PodObject = {
        ...pod,
        metadata: { ...pod.metadata, namespace, uid: `pod-${this.pods.size}` },
        status: { phase: 'Pending' },
        log: '',
      };
      this.pods.set(`${namespace}/${podName}`, stored);
      this.reply(req, res, 201, stored, body);
      const kubelet = this.kubelet;
      if (kubelet) {
        stored.status.phase = 'Running';
        void kubelet(stored).then((r) => {
          stored.log = r.stdout;
          stored.status.phase = r.code === 0 ? 'Succeeded' : 'Failed';
        });
      }
      return;
    }
    const pod = this.pods.get(key);
    if (!pod) return this.reply(req, res, 404, status(404, 'NotFound', `pods "${name ?? ''}" not found`), body);
    if (req.method === 'GET' && log) {
      this.requests.push({ method: 'GET', path: req.url ?? '', status: 200 });
      // the API's limitBytes: the log is cut there
      const limit = Number(new URL(req.url ?? '', 'http://x').searchParams.get('limitBytes') ?? Infinity);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(pod.log.slice(0, limit));
      return;
    }
    if (req.method === 'GET')
      return this.reply(req, res, 200, { apiVersion: 'v1', kind: 'Pod', ...pod, log: undefined });
    if (req.method === 'DELETE') {
      this.pods.delete(key);
      return this.reply(req, res, 200, { apiVersion: 'v1', kind: 'Pod', ...pod, log: undefined });
    }
    this.reply(req, res, 405, status(405, 'MethodNotAllowed', 'not supported here'), body);
  }

  private patchNodeStatus(req: IncomingMessage, res: ServerResponse, name: string, body: unknown): void {
    const node = this.nodes.get(name);
    if (!node) return this.reply(req, res, 404, status(404, 'NotFound', `nodes "${name}" not found`), body);
    const type = req.headers['content-type'];
    if (type === 'application/json-patch+json' && !Array.isArray(body))
      return this.reply(
        req,
        res,
        400,
        status(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'),
        body,
      );
    if (type !== 'application/strategic-merge-patch+json')
      return this.reply(
        req,
        res,
        415,
        status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        ),
        body,
      );
    const patch = body as { status?: { conditions?: unknown }; metadata?: { annotations?: unknown } };
    const conditions = patch.status?.conditions ?? [];
    if (!Array.isArray(conditions))
      return this.reply(req, res, 422, status(422, 'Invalid', 'status.conditions: expected a list'), body);
    const errors: string[] = annotationErrors(patch.metadata?.annotations);
    for (const [i, c] of (conditions as Record<string, unknown>[]).entries()) {
      if (typeof c.type !== 'string' || c.type === '') errors.push(`status.conditions[${i}].type: Required value`);
      if (!['True', 'False', 'Unknown'].includes(String(c.status)))
        errors.push(`status.conditions[${i}].status: Unsupported value: "${String(c.status)}"`);
      for (const t of ['lastHeartbeatTime', 'lastTransitionTime'])
        if (c[t] !== undefined && !RFC3339.test(String(c[t])))
          errors.push(`status.conditions[${i}].${t}: Invalid value: not RFC3339`);
    }
    if (errors.length > 0) return this.reply(req, res, 422, status(422, 'Invalid', errors.join('; ')), body);
    // strategic merge: the list merges by its patchMergeKey, `type`
    for (const c of conditions as Condition[]) {
      const at = node.status.conditions.findIndex((x) => x.type === c.type);
      if (at >= 0) node.status.conditions[at] = { ...node.status.conditions[at], ...c };
      else node.status.conditions.push(c);
    }
    // the status subresource resets only spec (pkg/registry/core/node/strategy.go): metadata changes stay;
    // annotations merge by key, null deletes one
    const annotations = patch.metadata?.annotations as Record<string, string | null> | undefined;
    if (annotations) {
      const merged = { ...node.metadata.annotations };
      for (const [k, v] of Object.entries(annotations)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      node.metadata.annotations = merged;
    }
    node.metadata.resourceVersion = String(Number(node.metadata.resourceVersion) + 1);
    this.reply(req, res, 200, node, body);
  }

  private createEvent(req: IncomingMessage, res: ServerResponse, namespace: string, body: unknown): void {
    const e = (body ?? {}) as Record<string, unknown> & {
      metadata?: { name?: string; namespace?: string };
      regarding?: Record<string, unknown>;
    };
    const errors: string[] = [];
    const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
    const name = e.metadata?.name ?? '';
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) errors.push(`metadata.name: Invalid value: "${name}"`);
    if (e.metadata?.namespace !== undefined && e.metadata.namespace !== namespace)
      errors.push('metadata.namespace: Invalid value: does not match the namespace of the request');
    if (!str('eventTime') || !MICRO_TIME.test(str('eventTime') ?? ''))
      errors.push('eventTime: Required value (MicroTime)');
    const controller = str('reportingController');
    if (!controller) errors.push('reportingController: Required value');
    else if (!QUALIFIED_NAME.test(controller)) errors.push(`reportingController: Invalid value: "${controller}"`);
    const instance = str('reportingInstance') ?? '';
    if (!instance) errors.push('reportingInstance: Required value');
    if (instance.length > 128) errors.push('reportingInstance: Too long: may not be more than 128 bytes');
    for (const k of ['action', 'reason']) {
      const v = str(k) ?? '';
      if (!v) errors.push(`${k}: Required value`);
      if (v.length > 128) errors.push(`${k}: Too long: may not be more than 128 bytes`);
    }
    if (Buffer.byteLength(str('note') ?? '') > 1024) errors.push('note: Too long: may not be more than 1024 bytes');
    if (!['Normal', 'Warning'].includes(str('type') ?? ''))
      errors.push(`type: Unsupported value: "${str('type') ?? ''}"`);
    const regarding = e.regarding ?? {};
    const regardingNs = typeof regarding.namespace === 'string' ? regarding.namespace : '';
    if (regardingNs === '' && namespace !== 'default')
      errors.push(
        'namespace: Invalid value: does not match regarding.namespace (cluster-scoped objects report in "default")',
      );
    if (regardingNs !== '' && regardingNs !== namespace)
      errors.push('regarding.namespace: Invalid value: does not match event.namespace');
    if (errors.length > 0)
      return this.reply(
        req,
        res,
        422,
        status(422, 'Invalid', `Event "${name}" is invalid: ${errors.join(', ')}`),
        body,
      );
    if (
      this.events.some(
        (x) =>
          (x.metadata as { name: string }).name === name &&
          (x.metadata as { namespace: string }).namespace === namespace,
      )
    )
      return this.reply(
        req,
        res,
        409,
        status(409, 'AlreadyExists', `events.events.k8s.io "${name}" already exists`),
        body,
      );
    const stored = { ...e, metadata: { ...e.metadata, namespace, uid: `uid-${this.events.length}` } };
    this.events.push(stored);
    this.reply(req, res, 201, stored, body);
  }
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** A kubeconfig for a fake API server on 127.0.0.1:port (plain http, a token the server ignores). */
export function writeKubeconfig(path: string, port: number): string {
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // client-node refuses plain http unless told to skip TLS verification
      `- name: fake\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: agent\n  user:\n    token: fake-token',
      'contexts:',
      '- name: fake\n  context:\n    cluster: fake\n    user: agent',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return path;
}

/** ValidateAnnotations: qualified-name keys, string values, 256 KiB in all. */
function annotationErrors(annotations: unknown): string[] {
  if (annotations === undefined) return [];
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations))
    return ['metadata.annotations: Invalid value: expected a map of strings'];
  const errors: string[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    if (!QUALIFIED_NAME.test(k) || (k.split('/').at(-1) ?? '').length > 63)
      errors.push(`metadata.annotations: Invalid value: "${k}": name part must consist of alphanumeric characters`);
    if (v !== null && typeof v !== 'string') errors.push(`metadata.annotations.${k}: Invalid value: not a string`);
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > 256 * 1024) errors.push('metadata.annotations: Too long: must have at most 262144 bytes');
  return errors;
}

/** The cluster-wide lists `netdoctor cluster` asks for: path → kind, apiVersion, which recorded objects. */
const CLUSTER_LISTS: Record<string, [string, string, 'Service' | 'EndpointSlice' | 'DaemonSet']> = {
  '/api/v1/services': ['Service', 'v1', 'Service'],
  '/apis/discovery.k8s.io/v1/endpointslices': ['EndpointSlice', 'discovery.k8s.io/v1', 'EndpointSlice'],
  '/apis/apps/v1/daemonsets': ['DaemonSet', 'apps/v1', 'DaemonSet'],
};

function list(kind: string, apiVersion: string, items: unknown[]): object {
  return { kind, apiVersion, metadata: {}, items };
}
