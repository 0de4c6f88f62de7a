import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
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

/**
 * Runs a command with an argument array (never a shell) and a timeout. stdout goes to `onStdout` when
 * given (streaming), else it is gathered. Throws CommandError when the command is missing or times out.
 */
export function run(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; onStdout?: (chunk: Buffer) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let err = '';
    let failure: Error | undefined;
    child.stdout.on('data', (c: Buffer) => {
      if (!opts.onStdout) return void out.push(c);
      try {
        opts.onStdout(c);
      } catch (e) {
        failure = e as Error;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new CommandError(e.code === 'ENOENT' ? `${command} not found` : `${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (failure) return reject(failure);
      if (signal === 'SIGKILL' && code === null) {
        return reject(new CommandError(`${command} ${args.join(' ')} timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`));
      }
      resolve({ code, stdout: Buffer.concat(out), stderr: err.trim() });
    });
  });
}

const found = new Map<string, Promise<boolean>>();

/** Whether a command is on PATH, as spawn would find it. */
export function commandExists(command: string): Promise<boolean> {
  let answer = found.get(command);
  if (!answer) {
    const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
    answer = (async () => {
      for (const dir of dirs) {
        try {
          await access(join(dir, command), constants.X_OK);
          return true;
        } catch {
          // not here
        }
      }
      return false;
    })();
    found.set(command, answer);
  }
  return answer;
}
