import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { setToolVersion, TOOL_NAME } from '../model/tool.js';

export { TOOL_NAME };

/** The package root, found from this file whether it runs from src/ (tsx) or dist/src/ (built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'docs'))) return dir;
    dir = dirname(dir);
  }
  return dirname(fileURLToPath(import.meta.url));
}

function packageJson(): { version?: string; homepage?: string } {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: string;
      homepage?: string;
    };
  } catch {
    return {};
  }
}

export const TOOL_VERSION = packageJson().version ?? '0.0.0';
setToolVersion(TOOL_VERSION); // reports carry it; whoever loads sources (every command) sets it once

/** Where the project lives; rule pages are docs/rules/<id>.md under it (SARIF helpUri). */
export const TOOL_HOMEPAGE = (packageJson().homepage ?? 'https://github.com/kube-netdoctor/kube-netdoctor').replace(
  /#.*$/,
  '',
);
