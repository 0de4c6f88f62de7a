import { closeSync, lstatSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_TEXT_ARTEFACT, type ArtefactSink } from '../../facts/sink.js';
import { replayArtefacts } from '../../facts/replay.js';
import type { NetnsMeta } from '../../facts/types.js';
import { openSafely, readSafely, UnsafePathError } from '../fs/safe-read.js';
import { streamFd } from '../fs/stream-file.js';
import { BundleError } from './archive.js';
import { SCHEMA_VERSION, type Manifest } from './dir-sink.js';
import { byCodeUnit } from '../../model/indexing.js';

/** The manifest is read whole up to this; past it, it is ignored with a reason. */
const MAX_MANIFEST = 16 * 1024 * 1024;

/** The manifest, or one inferred from the layout for a bundle assembled by hand; bad fields become problems. */
export async function readManifest(dir: string): Promise<Manifest & { manifestProblems: string[] }> {
  const manifestProblems: string[] = [];
  let text: string | undefined;
  try {
    const r = readSafely(dir, 'manifest.json', { links: 'refuse', maxBytes: MAX_MANIFEST });
    if (r.truncated) manifestProblems.push(`over ${MAX_MANIFEST / 1024 / 1024} MiB; ignored`);
    else text = r.data.toString('utf8');
  } catch (e) {
    if (!(e instanceof UnsafePathError) || !/no such file/.test(e.message)) manifestProblems.push((e as Error).message);
  }
  const { ids, refused } = await listNetnsIds(dir);
  manifestProblems.push(...refused);
  let manifest: Partial<Manifest> = {};
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new BundleError(`${join(dir, 'manifest.json')}: not valid JSON (${(e as Error).message})`);
    }
    // zod takes ~70 ms to load: only bundles with a manifest pay it
    const { checkManifest } = await import('./manifest-schema.js');
    const checked = checkManifest(json);
    manifest = checked.fields;
    manifestProblems.push(...checked.problems);
    if (manifest.schemaVersion !== undefined && manifest.schemaVersion > SCHEMA_VERSION) {
      throw new BundleError(
        `${join(dir, 'manifest.json')}: schemaVersion ${manifest.schemaVersion} is newer than this netdoctor understands (${SCHEMA_VERSION}); upgrade netdoctor`,
      );
    }
  }
  const parts = ['host', 'logs', 'k8s'].map((d) => isRealDir(join(dir, d)));
  if (ids.length === 0 && text === undefined && !parts.some(Boolean)) {
    throw new BundleError(
      `${dir}: not a bundle (none of manifest.json, netns/, host/, logs/, k8s/); to analyse loose files, name them: netdoctor analyze FILE…`,
    );
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
    manifestProblems,
  };
}

/** Feeds a bundle directory into a sink in the canonical order, as the live collection did. */
export async function replayBundle(
  dir: string,
  manifest: Manifest & { manifestProblems?: string[] },
  sink: ArtefactSink,
): Promise<void> {
  await replayArtefacts(
    {
      text: (rel, s) => readArtefact(dir, rel, s),
      stream: (rel, s) => {
        streamArtefact(dir, rel, s);
      },
      files: (rel) => listFiles(join(dir, rel)),
      tree: (rel) => listTree(join(dir, rel)),
    },
    manifest,
    sink,
  );
}

/**
 * A text artefact read from a stranger's bundle: undefined when the bundle does not have it; refused (a
 * link, a FIFO, a device, over the size cap) with the reason recorded for that artefact.
 */
function readArtefact(dir: string, rel: string, sink: ArtefactSink): string | undefined {
  try {
    const r = readSafely(dir, rel, { links: 'refuse', maxBytes: MAX_TEXT_ARTEFACT });
    if (r.truncated) {
      sink.failed(rel, `refused: over ${MAX_TEXT_ARTEFACT / 1024 / 1024} MiB`);
      return undefined;
    }
    return r.data.toString('utf8');
  } catch (e) {
    if (e instanceof UnsafePathError && /no such file/.test(e.message)) return undefined;
    sink.failed(rel, `refused: ${(e as Error).message}`);
    return undefined;
  }
}

/** A large artefact (socket table, IPVS connections) streamed from a bundle, with the same refusals. */
function streamArtefact(dir: string, rel: string, sink: ArtefactSink): void {
  let opened: { fd: number; size: number };
  try {
    opened = openSafely(dir, rel, 'refuse');
  } catch (e) {
    if (e instanceof UnsafePathError && /no such file/.test(e.message)) return;
    sink.failed(rel, `refused: ${(e as Error).message}`);
    return;
  }
  const w = sink.stream(rel, opened.size);
  try {
    streamFd(opened.fd, (chunk) => {
      w.push(chunk);
    });
  } catch (e) {
    sink.failed(rel, `unreadable: ${(e as Error).message}`);
  } finally {
    closeSync(opened.fd);
    w.end();
  }
}

/** netns/<id> directories (not links), with ids a bundle may use; others are refused with a reason. */
async function listNetnsIds(dir: string): Promise<{ ids: string[]; refused: string[] }> {
  const refused: string[] = [];
  if (!isRealDir(join(dir, 'netns'))) {
    if (lstatSync(join(dir, 'netns'), { throwIfNoEntry: false }))
      refused.push('netns: refused, not a directory (a link or special file)');
    return { ids: [], refused };
  }
  const ids: string[] = [];
  for (const e of await readdir(join(dir, 'netns'), { withFileTypes: true })) {
    if (!e.isDirectory()) refused.push(`netns/${e.name.slice(0, 64)}: refused, not a directory`);
    else if (!/^[\w.-]{1,128}$/.test(e.name)) refused.push(`netns/${e.name.slice(0, 64)}: refused, not a namespace id`);
    else ids.push(e.name);
  }
  ids.sort((a, b) => (a === 'host' ? -1 : b === 'host' ? 1 : byCodeUnit(a, b)));
  return { ids, refused };
}

function isRealDir(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

function listFiles(path: string): string[] {
  if (!isRealDir(path)) return [];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

/** Regular files under a directory, relative paths, sorted; links and special files are not followed. */
function listTree(root: string, prefix = ''): string[] {
  if (!isRealDir(join(root, prefix))) return [];
  const out: string[] = [];
  for (const e of readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listTree(root, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}
