/**
 * The agent's three Kubernetes API calls (read its Node, patch nodes/status, create an Event) over node:https.
 * Importing @kubernetes/client-node costs the agent 80 MiB of RSS — its generated models alone hold 41 MiB of
 * heap (measured on 1.3.0; config.js imports them too) — most of the agent's 100 MiB budget. These calls need
 * none of it: in-cluster config, and kubeconfigs whose user is a token, a token file or a client certificate,
 * go through this file. Any other kubeconfig (exec plugins, auth providers, several files to merge, a proxy)
 * is handed to client-node (client.ts), which the agent then loads.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { AgentApi, ApiOutcome } from '../../agent/agent.js';
import { ToolError } from '../../model/errors.js';
import { statusMessage } from './status.js';
import { kubeconfigFiles, noKubeconfig, type KubeTarget } from './kubeconfig-files.js';

/** Where a pod's service account is mounted (kubelet's projected volume). */
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** An API answer larger than this is not one of ours: refused rather than buffered. */
const MAX_BODY = 1 << 20;

interface Credentials {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  /** read at each call: bound service account tokens are rotated in place by the kubelet */
  token?: () => string;
}

/** In-cluster credentials, as a pod has them: the service's address in the environment, the mounted token and CA. */
export function inClusterCredentials(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT): Credentials {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const tokenFile = join(dir, 'token');
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    ca: readFileSync(join(dir, 'ca.crt')),
    insecure: false,
    token: () => readFileSync(tokenFile, 'utf8').trim(),
  };
}

type Dict = Record<string, unknown>;
const dict = (v: unknown): Dict => (v !== null && typeof v === 'object' ? (v as Dict) : {});
const named = (list: unknown, name: unknown): Dict | undefined =>
  Array.isArray(list) ? (list as unknown[]).map(dict).find((e) => e.name === name) : undefined;

/** The user fields this client can act on; a user with any other (exec, auth-provider, …) goes to client-node. */
const SIMPLE_USER = new Set([
  'token',
  'tokenFile',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
]);
const SIMPLE_CLUSTER = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
]);

/**
 * The credentials of a kubeconfig's context, when they are simple enough for this client; undefined for
 * the others. Relative file names are relative to the kubeconfig's directory, as kubectl reads them.
 */
export function kubeconfigCredentials(text: string, file: string, context?: string): Credentials | undefined {
  let config: Dict;
  try {
    config = dict(parse(text));
  } catch (e) {
    throw new ToolError(`cannot load the Kubernetes config: ${file}: ${(e as Error).message}`);
  }
  const ctx = dict(named(config.contexts, context ?? config['current-context'])?.context);
  const cluster = named(config.clusters, ctx.cluster)?.cluster;
  const user = dict(named(config.users, ctx.user)?.user);
  if (cluster === undefined) return undefined; // client-node says what is missing
  const c = dict(cluster);
  if (!Object.keys(c).every((k) => SIMPLE_CLUSTER.has(k))) return undefined;
  if (!Object.keys(user).every((k) => SIMPLE_USER.has(k))) return undefined;
  if (typeof c.server !== 'string') return undefined;
  const base = dirname(file);
  const material = (data: unknown, path: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof path === 'string') return readFileSync(isAbsolute(path) ? path : join(base, path));
    return undefined;
  };
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  return {
    server: new URL(c.server),
    ca: material(c['certificate-authority-data'], c['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    insecure: c['insecure-skip-tls-verify'] === true,
    token: token
      ? () => token
      : tokenFile
        ? () => readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), 'utf8').trim()
        : undefined,
  };
}

/** One API call: its JSON answer, or the failure as the agent logs and counts it. Never throws. */
function call(
  creds: Credentials,
  timeoutMs: number,
  method: string,
  path: string,
  body?: { type: string; value: unknown },
): Promise<ApiOutcome<unknown>> {
  let token: string | undefined;
  try {
    token = creds.token?.();
  } catch (e) {
    return Promise.resolve({
      ok: false,
      reason: `token: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    });
  }
  return new Promise((resolve) => {
    const payload = body ? JSON.stringify(body.value) : undefined;
    // the server's own path is kept (a proxy in front of the API: https://rancher/k8s/clusters/c-1)
    const url = new URL(creds.server.pathname.replace(/\/$/, '') + path, creds.server);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      rejectUnauthorized: !creds.insecure,
      headers: {
        accept: 'application/json',
        'user-agent': 'netdoctor-agent',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body && payload !== undefined
          ? { 'content-type': body.type, 'content-length': Buffer.byteLength(payload) }
          : {}),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, reason: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    let settled = false;
    const done = (outcome: ApiOutcome<unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    req.on('error', (e: NodeJS.ErrnoException) => {
      done({ ok: false, reason: e.code ?? e.message.slice(0, 200) });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy();
          done({ ok: false, reason: `answer over ${MAX_BODY} bytes` });
        } else chunks.push(c);
      });
      res.on('error', (e) => {
        done({ ok: false, reason: e.message.slice(0, 200) });
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const message = statusMessage(text);
          done({ ok: false, status, reason: `HTTP ${status}${message ? `: ${message}` : ''}` });
          return;
        }
        try {
          done({ ok: true, value: text ? (JSON.parse(text) as unknown) : undefined });
        } catch {
          done({ ok: false, status, reason: 'the API answered with something that is not JSON' });
        }
      });
    });
    req.end(payload);
  });
}

const seg = encodeURIComponent;

/** The agent's calls with these credentials. */
export function lightNodeApi(creds: Credentials, timeoutMs: number): AgentApi {
  return {
    async nodeUid(node) {
      const r = await call(creds, timeoutMs, 'GET', `/api/v1/nodes/${seg(node)}`);
      if (!r.ok) return r;
      const uid = dict(dict(r.value).metadata).uid;
      return { ok: true, value: typeof uid === 'string' ? uid : undefined };
    },
    // conditions merge by type only as a strategic merge patch; the annotations travel in the same status
    // patch (the status subresource keeps metadata changes, pkg/registry/core/node/strategy.go)
    async patchNodeStatus(node, { conditions, annotations }) {
      const value = {
        ...(annotations ? { metadata: { annotations } } : {}),
        ...(conditions ? { status: { conditions } } : {}),
      };
      const r = await call(creds, timeoutMs, 'PATCH', `/api/v1/nodes/${seg(node)}/status`, {
        type: 'application/strategic-merge-patch+json',
        value,
      });
      return r.ok ? { ok: true, value: undefined } : r;
    },
    async createEvent(namespace, body) {
      const r = await call(creds, timeoutMs, 'POST', `/apis/events.k8s.io/v1/namespaces/${seg(namespace)}/events`, {
        type: 'application/json',
        value: body,
      });
      return r.ok ? { ok: true, value: undefined } : r;
    },
  };
}

/**
 * The agent's API: in a pod (no kubeconfig asked for), the service account; else the kubeconfig, through
 * this client when its context is simple, through client-node when not.
 */
export async function agentApi(target: KubeTarget, timeoutMs: number): Promise<AgentApi> {
  if (!target.kubeconfig && process.env.KUBERNETES_SERVICE_HOST) {
    try {
      return lightNodeApi(inClusterCredentials(), timeoutMs);
    } catch (e) {
      throw new ToolError(`cannot load the in-cluster config: ${(e as Error).message}`);
    }
  }
  const files = kubeconfigFiles(target);
  if (files.length === 0) throw noKubeconfig();
  const [file] = files;
  if (files.length === 1 && file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ToolError(`cannot load the Kubernetes config: ${(e as Error).message}`);
    }
    const creds = kubeconfigCredentials(text, file, target.context);
    if (creds) return lightNodeApi(creds, timeoutMs);
  }
  const { loadKubeConfig, nodeApi } = await import('./client.js');
  return nodeApi(loadKubeConfig(target), timeoutMs);
}
