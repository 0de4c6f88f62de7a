/**
 * The tool's name and version as every report carries them. The version is read from package.json by
 * sources/package-info.ts (file I/O belongs there) and handed here once at start-up, so the pure layers
 * (report, rules) never import sources.
 */
export const TOOL_NAME = 'kube-netdoctor';

let version = '0.0.0';

export function setToolVersion(v: string): void {
  version = v;
}

export function toolVersion(): string {
  return version;
}
