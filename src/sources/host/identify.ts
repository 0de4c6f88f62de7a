import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { validK8sName } from '../../knowledge/k8s-names.js';
import { readSafely } from '../fs/safe-read.js';
import { join } from 'node:path';
import type { NetnsMeta } from '../../facts/types.js';
import { group } from '../../model/indexing.js';

/**
 * Who lives in a network namespace, from what the machine tells without a cluster: the cgroup path (pod uid,
 * container id), the container runtime's task config (pod, namespace and container names), the process's
 * HOSTNAME and service-account namespace, else its command.
 */
export async function identify(pids: number[], procRoot = '/proc'): Promise<Partial<NetnsMeta>> {
  const meta: Partial<NetnsMeta> = {};
  for (const pid of pids.slice(0, 8)) {
    const dir = join(procRoot, String(pid));
    const comm = (await readText(join(dir, 'comm')))?.trim();
    if (comm && !meta.command && comm !== 'pause') meta.command = comm;
    const cgroup = await readText(join(dir, 'cgroup'));
    const fromCgroup = cgroup ? parseKubeCgroup(cgroup) : undefined;
    if (fromCgroup) {
      meta.podUid ??= fromCgroup.podUid;
      if (fromCgroup.containerId && !meta.pod) Object.assign(meta, await fromRuntime(fromCgroup.containerId, meta));
    }
    if (!meta.pod) {
      const env = await readText(join(dir, 'environ'));
      // The pod's own environment: a claim, kept only if it is a name Kubernetes would allow.
      const host = validK8sName(
        env
          ?.split('\0')
          .find((v) => v.startsWith('HOSTNAME='))
          ?.slice(9),
        'subdomain',
      );
      if (host && fromCgroup) meta.pod = host;
    }
    if (meta.pod && !meta.namespace) meta.namespace = serviceAccountNamespace(dir);
    if (meta.pod && meta.namespace && meta.container) break;
  }
  if (meta.pid === undefined && pids.length > 0) meta.pid = pids[0];
  return meta;
}

/** kubepods…/pod<uid>/<id> (cgroupfs) or kubepods-…-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope (systemd). */
export function parseKubeCgroup(text: string): { podUid: string; containerId?: string } | undefined {
  for (const line of text.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const m =
      /kubepods[^\n]*?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/([^/\n]+))?/.exec(
        path,
      );
    if (!m) continue;
    const container = m[2]?.replace(/^(cri-containerd|crio|docker)-/, '').replace(/\.scope$/, '');
    return {
      podUid: group(m, 1).replaceAll('_', '-'),
      containerId: container && /^[0-9a-f]{12,64}$/.test(container) ? container : undefined,
    };
  }
  return undefined;
}

const RUNTIME_CONFIGS = [
  (id: string) => `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/config.json`,
  (id: string) => `/run/containers/storage/overlay-containers/${id}/userdata/config.json`,
];

/** The container runtime's annotations of a container (containerd or CRI-O task config). */
export async function runtimeAnnotations(containerId: string): Promise<Record<string, string> | undefined> {
  for (const path of RUNTIME_CONFIGS) {
    const text = await readText(path(containerId));
    if (!text) continue;
    try {
      return (JSON.parse(text) as { annotations?: Record<string, string> }).annotations ?? {};
    } catch {
      // a runtime file we do not understand: fall back to the other clues
    }
  }
  return undefined;
}

async function fromRuntime(containerId: string, meta: Partial<NetnsMeta>): Promise<Partial<NetnsMeta>> {
  const a = await runtimeAnnotations(containerId);
  if (!a) return {};
  const pod = validK8sName(a['io.kubernetes.cri.sandbox-name'] ?? a['io.kubernetes.pod.name'], 'subdomain');
  const namespace = validK8sName(a['io.kubernetes.cri.sandbox-namespace'] ?? a['io.kubernetes.pod.namespace'], 'label');
  const rawContainer = a['io.kubernetes.cri.container-name'] ?? a['io.kubernetes.container.name'];
  const container = rawContainer === 'POD' ? meta.container : validK8sName(rawContainer, 'label');
  return { pod, namespace, container };
}

/** /proc files (comm, cgroup, environ) and the runtime's configs: small, but never read without a cap. */
export async function readText(path: string, maxBytes = 1 << 20): Promise<string | undefined> {
  try {
    const h = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await h.stat()).isFile()) return undefined;
      // grown as the file proves long: the agent reads hundreds of 16-byte /proc files a tick, and a buffer
      // of maxBytes each (zero-filled) was most of its garbage collection
      const chunks: Buffer[] = [];
      let total = 0;
      while (total < maxBytes) {
        const buf = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes - total));
        const { bytesRead } = await h.read(buf, 0, buf.length, total);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
      }
      return Buffer.concat(chunks, total).toString('utf8');
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The pod's namespace from its service-account mount, read inside the pod's root: a link there resolves as
 * the pod sees it, never into the host's files; a FIFO or device is not read; the value must be a namespace
 * name. A pod can lie about its namespace, never make this read a host file.
 */
function serviceAccountNamespace(procPidDir: string): string | undefined {
  try {
    const { data } = readSafely(join(procPidDir, 'root'), 'var/run/secrets/kubernetes.io/serviceaccount/namespace', {
      links: 'in-root',
      maxBytes: 256,
    });
    return validK8sName(data.toString('utf8'), 'label');
  } catch {
    return undefined;
  }
}
