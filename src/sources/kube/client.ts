/**
 * The agent's Kubernetes API calls, with @kubernetes/client-node 1.x: in-cluster config, or a kubeconfig
 * (and context) for running it by hand. Every call is bounded by a timeout; a failure is returned as a
 * short reason (HTTP status, or what went wrong), never thrown at the tick.
 */
import {
  ApiException,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type EventsV1Event,
} from '@kubernetes/client-node';
import type { AgentApi, ApiOutcome } from '../../agent/agent.js';
import { ToolError } from '../../model/errors.js';
import { statusMessage } from './status.js';
import { kubeconfigFiles, noKubeconfig, type KubeTarget } from './kubeconfig-files.js';

export function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  // client-node falls back to http://localhost:8080 when it finds nothing: say so instead of calling it
  if (!process.env.KUBERNETES_SERVICE_HOST && kubeconfigFiles(target).length === 0) throw noKubeconfig();
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
    if (target.context) kc.setCurrentContext(target.context);
  } catch (e) {
    throw new ToolError(`cannot load the Kubernetes config: ${(e as Error).message}`);
  }
  if (!kc.getCurrentCluster())
    throw new ToolError(
      'no Kubernetes cluster configured: run in a pod (in-cluster config), pass --kubeconfig FILE, or pass --no-kube to only export metrics',
    );
  return kc;
}

function failure(e: unknown): { ok: false; status?: number; reason: string } {
  if (e instanceof ApiException) {
    const message = statusMessage(e.body);
    return { ok: false, status: e.code, reason: `HTTP ${e.code}${message ? `: ${message}` : ''}` };
  }
  const err = e as Error & { code?: string };
  return { ok: false, reason: err.code ?? err.message.slice(0, 200) };
}

async function bounded<T>(timeoutMs: number, call: () => Promise<T>): Promise<ApiOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return { ok: true, value: await Promise.race([call(), timeout]) };
  } catch (e) {
    return failure(e);
  } finally {
    clearTimeout(timer);
  }
}

export function nodeApi(kc: KubeConfig, timeoutMs: number): AgentApi {
  const core = kc.makeApiClient(CoreV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  return {
    nodeUid: (node) => bounded(timeoutMs, async () => (await core.readNode({ name: node })).metadata?.uid),
    // client-node 1.x sends json-patch unless told; conditions merge by type only as a strategic merge patch
    // annotations travel in the same status patch: the status subresource keeps metadata changes (only spec is
    // reset, pkg/registry/core/node/strategy.go), so `patch nodes/status` is all the RBAC it needs
    patchNodeStatus: (node, { conditions, annotations }) =>
      bounded(timeoutMs, async () => {
        await core.patchNodeStatus(
          {
            name: node,
            body: {
              ...(annotations ? { metadata: { annotations } } : {}),
              ...(conditions ? { status: { conditions } } : {}),
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
        return undefined;
      }),
    createEvent: (namespace, body) =>
      bounded(timeoutMs, async () => {
        // eventTime stays the string eventBody made: client-node passes a MicroTime through untouched, and its
        // Date would lose the microseconds the API's MicroTime format carries
        await events.createNamespacedEvent({ namespace, body: body as unknown as EventsV1Event });
        return undefined;
      }),
  };
}
