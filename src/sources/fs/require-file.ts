import { ToolError } from '../../model/errors.js';
import { accessSync, constants, statSync } from 'node:fs';

/** A file named on the command line that cannot be read: a usage error (exit 2), never a skipped rule. */
class InputFileError extends ToolError {}

export function requireReadableFile(path: string, flag: string): void {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      `${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied (run as root?)' : (e as Error).message}`,
    );
  }
  if (!isFile) throw new InputFileError(`${flag} ${path}: not a regular file`);
}
