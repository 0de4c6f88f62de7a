import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories that must not outlive the process, whatever ends it: removed when their user is
 * done, and synchronously on SIGINT/SIGTERM/SIGHUP and at exit (an unpacked stranger's bundle or a
 * half-written collection left in /tmp is a leak).
 */
const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      removeAll();
      // a command with its own cleanup on this signal (`node NODE` deletes its pods) ends the process itself
      if (process.listenerCount(signal) === 0) process.exit(code);
    });
  }
}

export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  hook();
  const dir = await mkdtemp(join(os.tmpdir(), prefix));
  live.add(dir);
  return {
    dir,
    remove: async () => {
      live.delete(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
