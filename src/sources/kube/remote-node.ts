/**
 * `netdoctor node NODE…` from a laptop: on each node, a short-lived pod (hostPID, hostNetwork, the
 * collector's capabilities, every taint tolerated, pinned with nodeName) runs `netdoctor collect -o -
 * --base64`; its log is the bundle, read back through the API and written to a local file for `analyze`.
 * The pod is deleted on every path — done, failed, timed out, interrupted — and labelled so that a leftover is
 * found with `kubectl delete pod -A -l netdoctor.io/role=collector`.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../../model/errors.js';
import { statusMessage } from './status.js';

const COLLECTOR_LABEL = 'netdoctor.io/role';
const POLL_MS = 500;
const MAX_LOG_BYTES = 512 * 1024 * 1024;

interface RemoteOptions {
  namespace: string;
  image: string;
  timeoutMs: number;
  /** where each node's bundle is written */
  dir: string;
  progress?: (node: string, state: string) => void;
}

type RemoteResult = { node: string; bundle: string } | { node: string; error: string };

/** What to do about an API refusal, in the user's words. */
export function explainApiError(e: unknown, what: string, namespace: string): string {
  const err = e as { code?: number; body?: unknown; message?: string };
  const message = statusMessage(err.body) ?? err.message ?? String(e);
  if (err.code === 401) return `${what}: 401 Unauthorized — the kubeconfig's credentials were refused (log in again)`;
  if (err.code === 403) {
    if (/violates PodSecurity/.test(message))
      return `${what}: the namespace's Pod Security level refuses a hostPID/hostNetwork pod (${message}); label it: kubectl label ns ${namespace} pod-security.kubernetes.io/enforce=privileged, or pass --namespace of one that allows it`;
    return `${what}: 403 Forbidden — ${message}; the collector needs create/get/delete on pods and get on pods/log in namespace ${namespace}`;
  }
  if (err.code === 404) return `${what}: 404 — ${message}`;
  return `${what}: ${err.code ? `HTTP ${err.code}: ` : ''}${message}`;
}

/** A Pod as plain JSON (client-node's model classes hold data only; its serializer reads plain objects). */
type PodManifest = Record<string, unknown> & { metadata: { name: string; [k: string]: unknown } };

function collectorPod(node: string, opts: RemoteOptions): PodManifest {
  const suffix = randomBytes(3).toString('hex');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `netdoctor-collect-${node.slice(0, 40).replace(/[^a-z0-9-]/g, '-')}-${suffix}`.replace(/-+/g, '-'),
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/name': 'netdoctor', [COLLECTOR_LABEL]: 'collector' },
    },
    spec: {
      nodeName: node,
      hostPID: true,
      hostNetwork: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(opts.timeoutMs / 1000),
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'collect',
          image: opts.image,
          args: ['collect', '-o', '-', '--base64', '--netns', 'all'],
          securityContext: {
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsUser: 0,
            capabilities: {
              drop: ['ALL'],
              add: ['SYS_ADMIN', 'SYS_PTRACE', 'NET_ADMIN', 'NET_RAW', 'SYSLOG', 'DAC_READ_SEARCH'],
            },
          },
          volumeMounts: [
            { name: 'var-log', mountPath: '/var/log', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'run', mountPath: '/run' },
          ],
        },
      ],
      volumes: [
        { name: 'var-log', hostPath: { path: '/var/log' } },
        { name: 'tmp', emptyDir: {} },
        { name: 'run', emptyDir: {} },
      ],
    },
  };
}

/** Why a pod that has not finished will not: an image that cannot be pulled, a container that cannot start. */
function stuck(pod: V1Pod): string | undefined {
  for (const s of pod.status?.containerStatuses ?? []) {
    const reason = s.state?.waiting?.reason;
    if (
      reason &&
      /ImagePullBackOff|ErrImagePull|InvalidImageName|CreateContainerConfigError|CreateContainerError/.test(reason)
    )
      return `${reason}: ${s.state?.waiting?.message ?? ''}`.trim();
  }
  return undefined;
}

/** Collects one node; never throws: a failure is the node's result, with what to do. */
export async function collectRemote(
  kc: KubeConfig,
  node: string,
  opts: RemoteOptions,
  signal: AbortSignal,
): Promise<RemoteResult> {
  const core = kc.makeApiClient(CoreV1Api);
  const pod = collectorPod(node, opts);
  const name = pod.metadata.name;
  let created = false;
  try {
    opts.progress?.(node, 'creating the collector pod');
    await core.createNamespacedPod({ namespace: opts.namespace, body: pod });
    created = true;
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      if (signal.aborted) return { node, error: 'interrupted' };
      if (Date.now() > deadline)
        return { node, error: `the collector pod did not finish within ${opts.timeoutMs / 1000} s` };
      const now = await core.readNamespacedPod({ name, namespace: opts.namespace });
      const phase = now.status?.phase;
      if (phase === 'Succeeded') break;
      if (phase === 'Failed') {
        const log = await core.readNamespacedPodLog({ name, namespace: opts.namespace, tailLines: 5 }).catch(() => '');
        return {
          node,
          error: `the collector pod failed (${now.status?.reason ?? 'Error'}): ${log.slice(-400)}`,
        };
      }
      const why = stuck(now);
      if (why) return { node, error: `${why} (image ${opts.image}; pass --image to use another)` };
      opts.progress?.(node, phase === 'Running' ? 'collecting' : `pod ${phase ?? 'Pending'}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    opts.progress?.(node, 'reading the bundle');
    // the log is asked for with a cap: a node (or what runs there) does not get to fill this machine's memory
    const log = await core.readNamespacedPodLog({ name, namespace: opts.namespace, limitBytes: MAX_LOG_BYTES });
    if (log.length >= MAX_LOG_BYTES)
      return {
        node,
        error: `the bundle is over ${MAX_LOG_BYTES / 2 ** 20} MiB of base64: collect on the node (netdoctor collect -o FILE)`,
      };
    const bundle = Buffer.from(log.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    if (bundle.length < 2 || bundle[0] !== 0x1f || bundle[1] !== 0x8b)
      return { node, error: 'the collector pod printed no bundle (is the image a netdoctor image?)' };
    const file = join(opts.dir, `${node.replace(/[^A-Za-z0-9.-]/g, '_')}.tar.gz`);
    writeFileSync(file, bundle, { flag: 'wx', mode: 0o600 });
    return { node, bundle: file };
  } catch (e) {
    if (e instanceof ToolError) throw e;
    return {
      node,
      error: explainApiError(
        e,
        created ? `pod ${opts.namespace}/${name}` : `creating a pod on ${node}`,
        opts.namespace,
      ),
    };
  } finally {
    if (created)
      await core
        .deleteNamespacedPod({ name, namespace: opts.namespace, gracePeriodSeconds: 0 })
        .catch(() =>
          opts.progress?.(
            node,
            `could not delete pod ${opts.namespace}/${name}: delete it with kubectl delete pod -n ${opts.namespace} -l ${COLLECTOR_LABEL}=collector`,
          ),
        );
  }
}

/** The nodes a selector (`-l`) or --all-nodes names. */
export async function listNodes(kc: KubeConfig, selector: string | undefined): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNode(selector ? { labelSelector: selector } : {});
  return list.items.map((n) => n.metadata?.name ?? '').filter(Boolean);
}

/** The pod `netdoctor pod` is about: where it runs, and the uid its network namespace is known by. */
export async function readPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<{ nodeName?: string; uid?: string; hostNetwork?: boolean }> {
  const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace });
  return { nodeName: pod.spec?.nodeName, uid: pod.metadata?.uid, hostNetwork: pod.spec?.hostNetwork };
}
