/**
 * Status files for node-problem-detector's custom plugin (deploy/npd/netdoctor-status.sh): one file per
 * condition type, "<exit code>\n<message>\n". Written to a temporary name and renamed, so the plugin never
 * reads half a file; the temporary file is created new (O_EXCL | O_NOFOLLOW), so a planted link is not followed.
 */
import { closeSync, constants, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function writeStatusFiles(dir: string, files: Map<string, string>): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [name, content] of files) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,62}$/.test(name)) throw new Error(`not a condition type: ${name}`);
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, CREATE_NEW, 0o644);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
  }
}
