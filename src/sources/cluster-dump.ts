/**
 * `netdoctor cluster --from-dump PATH…`: recorded `kubectl get … -o json` output, a file or a directory of
 * *.json files. Strangers' files: regular files only, no link followed, each capped; a file that cannot be
 * read or parsed is a problem named by path, and the others are still read.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { addK8sJson, emptyClusterObjects, type ClusterObjects } from '../parsers/k8s-objects.js';
import { ParseError } from '../parsers/parse-error.js';
import { ToolError } from '../model/errors.js';
import { readSafely } from './fs/safe-read.js';

const MAX_DUMP_FILE = 256 * 1024 * 1024;
const MAX_FILES = 10_000;

interface ClusterDump {
  cluster: ClusterObjects;
  files: string[];
  problems: { artefact: string; reason: string }[];
}

function jsonFiles(path: string): { dir: string; names: string[] } {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) throw new ToolError(`--from-dump ${path}: no such file or directory`);
  if (st.isSymbolicLink()) throw new ToolError(`--from-dump ${path}: a link; give the file or directory itself`);
  if (st.isFile()) return { dir: dirname(path), names: [basename(path)] };
  if (!st.isDirectory()) throw new ToolError(`--from-dump ${path}: not a file or directory`);
  const names = readdirSync(path)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .slice(0, MAX_FILES);
  return { dir: path, names };
}

export function readClusterDump(paths: string[]): ClusterDump {
  const cluster = emptyClusterObjects();
  const files: string[] = [];
  const problems: ClusterDump['problems'] = [];
  for (const path of paths) {
    const { dir, names } = jsonFiles(path);
    for (const name of names) {
      const shown = join(dir, name);
      try {
        const r = readSafely(dir, name, { links: 'refuse', maxBytes: MAX_DUMP_FILE });
        if (r.truncated) {
          problems.push({ artefact: shown, reason: `refused: over ${MAX_DUMP_FILE / 2 ** 20} MiB` });
          continue;
        }
        addK8sJson(cluster, r.data.toString('utf8'), shown);
        files.push(shown);
      } catch (e) {
        problems.push({ artefact: shown, reason: e instanceof ParseError ? e.reason : (e as Error).message });
      }
    }
  }
  return { cluster, files, problems };
}
