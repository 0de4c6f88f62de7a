import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetnsMeta } from '../../facts/types.js';

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
      const host = env?.split('\0').find((v) => v.startsWith('HOSTNAME='))?.slice(9);
      if (host && fromCgroup) meta.pod = host;
    }
    if (meta.pod && !meta.namespace) {
      meta.namespace = (await readText(join(dir, 'root/var/run/secrets/kubernetes.io/serviceaccount/namespace')))?.trim() || undefined;
    }
    if (meta.pod && meta.namespace && meta.container) break;
  }
  if (meta.pid === undefined && pids.length > 0) meta.pid = pids[0];
  return meta;
}

/** kubepods…/pod<uid>/<id> (cgroupfs) or kubepods-…-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope (systemd). */
export function parseKubeCgroup(text: string): { podUid: string; containerId?: string } | undefined {
  for (const line of text.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const m = /kubepods[^\n]*?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/([^/\n]+))?/.exec(path);
    if (!m) continue;
    const container = m[2]?.replace(/^(cri-containerd|crio|docker)-/, '').replace(/\.scope$/, '');
    return { podUid: m[1].replaceAll('_', '-'), containerId: container && /^[0-9a-f]{12,64}$/.test(container) ? container : undefined };
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
  const pod = a['io.kubernetes.cri.sandbox-name'] ?? a['io.kubernetes.pod.name'];
  const namespace = a['io.kubernetes.cri.sandbox-namespace'] ?? a['io.kubernetes.pod.namespace'];
  const container = a['io.kubernetes.cri.container-name'] ?? a['io.kubernetes.container.name'];
  return { pod, namespace, container: container === 'POD' ? meta.container : container };
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
