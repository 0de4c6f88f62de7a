import { statSync } from 'node:fs';
import { looksLikeArchive } from '../loose.js';

/** A directory or an archive is a bundle; any other file is a loose artefact (`analyze` sniffs its kind). */
export function isBundlePath(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) return true;
  } catch {
    return true; // let the bundle reader say "no such file"
  }
  return looksLikeArchive(path);
}
