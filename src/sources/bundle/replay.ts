import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST_FILES, LATER_FILES, NETNS_FILES, PROC_SYS_DIR, STREAMED_FILES, type ArtefactSink } from '../../facts/sink.js';
import type { NetnsMeta } from '../../facts/types.js';
import { streamFile } from '../fs/stream-file.js';
import { BundleError } from './archive.js';
import { SCHEMA_VERSION, type Manifest } from './dir-sink.js';

/** The manifest, or one inferred from the layout for a bundle assembled by hand. */
export async function readManifest(dir: string): Promise<Manifest> {
  let text: string | undefined;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    // hand-made bundle: everything is optional
  }
  const ids = await listDir(join(dir, 'netns'));
  let manifest: Partial<Manifest> = {};
  if (text !== undefined) {
    try {
      manifest = JSON.parse(text) as Partial<Manifest>;
    } catch (e) {
      throw new BundleError(`${join(dir, 'manifest.json')}: not valid JSON (${(e as Error).message})`);
    }
    if (manifest.schemaVersion !== undefined && manifest.schemaVersion > SCHEMA_VERSION) {
      throw new BundleError(`${join(dir, 'manifest.json')}: schemaVersion ${manifest.schemaVersion} is newer than this netdoctor understands (${SCHEMA_VERSION}); upgrade netdoctor`);
    }
  }
  const parts = await Promise.all(['host', 'logs', 'k8s'].map((d) => exists(join(dir, d))));
  if (ids.length === 0 && text === undefined && !parts.some(Boolean)) {
    throw new BundleError(`${dir}: not a bundle (none of manifest.json, netns/, host/, logs/, k8s/); to analyse loose files, name them: netdoctor analyze FILE…`);
  }
  const listed = new Map((manifest.netns ?? []).map((m) => [m.id, m]));
  // Every file is optional: a bundle of only logs/ or host/ or k8s/ is about the node itself, so the
  // host-level rules run against an implied host namespace.
  if (!ids.includes('host') && !(manifest.netns ?? []).some((m) => m.isHost)) ids.unshift('host');
  const netns: NetnsMeta[] = ids.map((id) => listed.get(id) ?? { id, isHost: id === 'host' });
  for (const m of netns) m.isHost = m.isHost ?? m.id === 'host';
  return {
    schemaVersion: manifest.schemaVersion ?? SCHEMA_VERSION,
    tool: manifest.tool ?? 'unknown',
    version: manifest.version ?? 'unknown',
    createdAt: manifest.createdAt ?? '',
    hostname: manifest.hostname ?? dir.split('/').filter(Boolean).pop() ?? 'unknown',
    intervalMs: manifest.intervalMs ?? 0,
    byteOrder: manifest.byteOrder ?? 'LE',
    nodePortRange: manifest.nodePortRange,
    nodePortRangeOrigin: manifest.nodePortRangeOrigin,
    netns,
    problems: manifest.problems ?? [],
    absent: manifest.absent ?? [],
    notes: manifest.notes,
  };
}

/** Feeds a bundle directory into a sink in the canonical order, as the live collection did. */
export async function replayBundle(dir: string, manifest: Manifest, sink: ArtefactSink): Promise<void> {
  for (const m of manifest.netns) sink.netns(m);
  // Bundles of 0.1.0 recorded what the machine lacks as a collection problem; it is an absence (and with
  // no kube-proxy process, a log not found is one too).
  const problems = manifest.problems ?? [];
  const noKubeProxy = problems.some((p) => p.path === 'host/kube-proxy' && /^no kube-proxy process/.test(p.reason));
  for (const p of problems) {
    const lacking = /^no IPVS in this kernel|^no kube-proxy process on this machine/.test(p.reason) || (noKubeProxy && p.path === 'logs/kube-proxy.log' && /^no kube-proxy log found/.test(p.reason));
    if (lacking) sink.absent(p.path, p.reason);
    else sink.failed(p.path, p.reason);
  }
  for (const p of manifest.absent ?? []) sink.absent(p.path, p.reason);
  for (const file of HOST_FILES) {
    const text = await readOptional(join(dir, file));
    if (text !== undefined) sink.text(file, text);
  }
  for (const name of (await listFiles(join(dir, 'k8s'))).filter((n) => n.endsWith('.json'))) {
    sink.text(`k8s/${name}`, (await readFile(join(dir, 'k8s', name))).toString('utf8'));
  }
  for (const m of manifest.netns) {
    const base = `netns/${m.id}`;
    for (const file of NETNS_FILES) {
      if (file === 'netstat-s') {
        // sysctl.txt came first; single /proc/sys files join it before anything reads the range
        for (const rel of await listTree(join(dir, base, PROC_SYS_DIR))) sink.text(`${base}/${PROC_SYS_DIR}/${rel}`, (await readFile(join(dir, base, PROC_SYS_DIR, rel))).toString('utf8'));
      }
      const path = join(dir, base, file);
      if (!(await exists(path))) continue;
      if ((STREAMED_FILES as readonly string[]).includes(file)) {
        const w = sink.stream(`${base}/${file}`);
        await streamFile(path, (chunk) => w.push(chunk));
        w.end();
      } else {
        sink.text(`${base}/${file}`, (await readFile(path)).toString('utf8'));
      }
    }
    for (const file of LATER_FILES) {
      const text = await readOptional(join(dir, base, 'later', file));
      if (text !== undefined) sink.text(`${base}/later/${file}`, text);
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

async function listDir(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => (a === 'host' ? -1 : b === 'host' ? 1 : a.localeCompare(b)));
  } catch {
    return [];
  }
}

async function listFiles(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Regular files under a directory, relative paths, sorted; links and special files are not followed. */
async function listTree(root: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listTree(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path)).toString('utf8');
  } catch {
    return undefined;
  }
}
