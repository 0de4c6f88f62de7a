import { ParseError, UnreadLines, numberedLines } from './parse-error.js';

export interface SysctlEntry {
  value: string;
  line: number;
  /** the line as it was written, for evidence */
  raw: string;
}

export type Sysctls = Map<string, SysctlEntry>;

/**
 * `sysctl -a` output ("net.ipv4.ip_local_port_range = 32768\t60999"), also sysctl.conf style
 * ("key=value", "/" as separator, comments). sysctl's own complaints ("sysctl: permission denied on key …")
 * are skipped: they come along when a user pastes stderr too.
 */
export function parseSysctls(text: string, source = 'sysctl.txt', unread = new UnreadLines()): Sysctls {
  const out: Sysctls = new Map();
  for (const [n, line] of numberedLines(text)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';') || t.startsWith('sysctl:')) continue;
    unread.guard(n, () => {
      const eq = t.indexOf('=');
      if (eq <= 0) throw new ParseError(source, n, `expected "key = value", got "${t.slice(0, 80)}"`);
      const key = t.slice(0, eq).trim().replaceAll('/', '.');
      if (!/^[A-Za-z0-9_.:@-]+$/.test(key)) throw new ParseError(source, n, `not a sysctl name: "${key.slice(0, 80)}"`);
      out.set(key, { value: t.slice(eq + 1).trim(), line: n, raw: t });
    });
  }
  if (out.size === 0 && unread.count > 0)
    throw new ParseError(source, unread.kept[0]?.line ?? 1, `no sysctl read: ${unread.kept[0]?.reason ?? ''}`);
  return out;
}

/** "key = value" lines in the format sysctl prints, tabs between multiple values kept. */
export function formatSysctls(entries: [string, string][]): string {
  return entries.map(([k, v]) => `${k} = ${v}\n`).join('');
}

export function sysctlNumber(s: Sysctls, key: string): number | undefined {
  const e = s.get(key);
  if (!e || !/^-?\d+$/.test(e.value)) return undefined;
  return Number(e.value);
}
