import {
  HOST_FILES,
  LATER_FILES,
  NETNS_FILES,
  PROC_SYS_DIR,
  STREAMED_FILES,
  type ArtefactSink,
  type BundleInfo,
} from './sink.js';

/**
 * Where a replay reads a bundle's artefacts from: a directory (sources/bundle/replay.ts) or memory (the rule
 * tester). Each read reports its own refusals to the sink; undefined / [] mean the bundle lacks it.
 */
export interface ArtefactReader {
  text(rel: string, sink: ArtefactSink): string | undefined;
  stream(rel: string, sink: ArtefactSink): void;
  /** regular files directly in a directory, sorted */
  files(rel: string): string[];
  /** regular files under a directory, relative to it, sorted */
  tree(rel: string): string[];
}

/** What a replay needs from a bundle's manifest.json. */
export interface ReplayManifest extends Omit<BundleInfo, 'byteOrder' | 'problems'> {
  byteOrder?: BundleInfo['byteOrder'];
  problems?: BundleInfo['problems'];
  manifestProblems?: string[];
}

/** Feeds a bundle into a sink in the canonical order, as the live collection did. */
export async function replayArtefacts(
  reader: ArtefactReader,
  manifest: ReplayManifest,
  sink: ArtefactSink,
): Promise<void> {
  for (const m of manifest.netns) sink.netns(m);
  if (manifest.manifestProblems?.length) sink.failed('manifest.json', manifest.manifestProblems.join('; '));
  const text = (rel: string) => reader.text(rel, sink);
  // Bundles of 0.1.0 recorded what the machine lacks as a collection problem; it is an absence (and with
  // no kube-proxy process, a log not found is one too).
  const problems = manifest.problems ?? [];
  const noKubeProxy = problems.some((p) => p.path === 'host/kube-proxy' && /^no kube-proxy process/.test(p.reason));
  for (const p of problems) {
    const lacking =
      /^no IPVS in this kernel|^no kube-proxy process on this machine/.test(p.reason) ||
      (noKubeProxy && p.path === 'logs/kube-proxy.log' && /^no kube-proxy log found/.test(p.reason));
    if (lacking) sink.absent(p.path, p.reason);
    else sink.failed(p.path, p.reason);
  }
  for (const p of manifest.absent ?? []) sink.absent(p.path, p.reason);
  for (const file of HOST_FILES) {
    const t = text(file);
    if (t !== undefined) sink.text(file, t);
  }
  for (const name of reader.files('k8s').filter((n) => n.endsWith('.json'))) {
    const t = text(`k8s/${name}`);
    if (t !== undefined) sink.text(`k8s/${name}`, t);
  }
  for (const m of manifest.netns) {
    const base = `netns/${m.id}`;
    for (const file of NETNS_FILES) {
      if (file === 'netstat-s') {
        // sysctl.txt came first; single /proc/sys files join it before anything reads the range
        for (const rel of reader.tree(`${base}/${PROC_SYS_DIR}`)) {
          const t = text(`${base}/${PROC_SYS_DIR}/${rel}`);
          if (t !== undefined) sink.text(`${base}/${PROC_SYS_DIR}/${rel}`, t);
        }
      }
      const rel = `${base}/${file}`;
      if ((STREAMED_FILES as readonly string[]).includes(file)) {
        reader.stream(rel, sink);
      } else {
        const t = text(rel);
        if (t !== undefined) sink.text(rel, t);
      }
    }
    for (const file of LATER_FILES) {
      const t = text(`${base}/later/${file}`);
      if (t !== undefined) sink.text(`${base}/later/${file}`, t);
    }
  }
  await sink.finish({
    tool: manifest.tool,
    version: manifest.version,
    createdAt: manifest.createdAt,
    hostname: manifest.hostname,
    intervalMs: manifest.intervalMs,
    byteOrder: manifest.byteOrder ?? 'LE',
    nodePortRange: manifest.nodePortRange,
    nodePortRangeOrigin: manifest.nodePortRangeOrigin,
    netns: manifest.netns,
    problems: manifest.problems ?? [],
    notes: manifest.notes,
  });
}
