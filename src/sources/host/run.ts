import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const PIPE_GRACE_MS = 2_000;
/** Gathered stdout beyond this is a tool flooding us: it is killed and the read fails (streamed output has no cap). */
export const MAX_GATHERED_BYTES = 256 * 1024 * 1024;
/** The system's own tools first: a writable directory early in PATH must not decide what root runs. */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** One deadline for a whole collection: each command gets at most what is left of it. */
let deadline: number | undefined;
export function setDeadline(atMs: number | undefined): void {
  deadline = atMs;
}

const resolved = new Map<string, string | undefined>();

/** The absolute path a command runs from: the system directories, then PATH; undefined when it is nowhere. */
export function resolveCommand(command: string): string | undefined {
  if (command.includes('/')) return command;
  if (!resolved.has(command)) {
    const dirs = [
      ...(process.env.NETDOCTOR_TOOLS_DIR ? [process.env.NETDOCTOR_TOOLS_DIR] : []),
      ...SYSTEM_DIRS,
      ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    ];
    let found: string | undefined;
    for (const dir of dirs) {
      try {
        accessSync(join(dir, command), constants.X_OK);
        found = join(dir, command);
        break;
      } catch {
        // not here
      }
    }
    resolved.set(command, found);
  }
  return resolved.get(command);
}

/**
 * Runs a command with an argument array (never a shell), in its own process group so that a timeout kills
 * everything it started (a wrapper script's child holding the pipe open included), within both its own
 * timeout and the collection's deadline. stdout goes to `onStdout` when given (streaming), else it is
 * gathered up to MAX_GATHERED_BYTES. Throws CommandError when the command is missing, times out or floods.
 */
export function run(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; onStdout?: (chunk: Buffer) => void } = {},
): Promise<RunResult> {
  const path = resolveCommand(command);
  if (!path) return Promise.reject(new CommandError(`${command} not found`));
  const left = deadline === undefined ? Infinity : deadline - Date.now();
  if (left <= 0)
    return Promise.reject(new CommandError(`${command}: not run, the collection's deadline passed (--timeout)`));
  const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, left));
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let gathered = 0;
    let err = '';
    let failure: Error | undefined;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = new CommandError(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms`);
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      if (failure) return;
      if (!opts.onStdout) {
        gathered += c.length;
        if (gathered > MAX_GATHERED_BYTES) {
          failure = new CommandError(
            `${command}: more than ${MAX_GATHERED_BYTES / 1024 / 1024} MiB of output; stopped`,
          );
          killGroup();
          return;
        }
        return void out.push(c);
      }
      try {
        opts.onStdout(c);
      } catch (e) {
        failure = e as Error;
        killGroup();
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CommandError(e.code === 'ENOENT' ? `${command} not found` : `${command}: ${e.message}`));
    });
    let done = false;
    let exitCode: number | null = null;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (failure) {
        reject(failure);
        return;
      }
      resolve({ code: exitCode, stdout: Buffer.concat(out), stderr: err.trim() });
    };
    // The command is gone, but something it started may still hold the pipe: kill its group, and if a
    // process that left the group keeps the pipe open, stop waiting after a short grace.
    child.on('exit', (code) => {
      exitCode = code;
      killGroup();
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_GRACE_MS).unref();
    });
    child.on('close', (code) => {
      exitCode ??= code;
      finish();
    });
  });
}

/** Whether a command can be run (system directories, then PATH). */
export function commandExists(command: string): Promise<boolean> {
  return Promise.resolve(resolveCommand(command) !== undefined);
}
