import { ParseError, numberedLines } from './parse-error.js';
import { group } from '../model/indexing.js';

export type IptablesBackend = 'legacy' | 'nft';

/**
 * host/kube-proxy: what the node shows of the kube-proxy process, one "key: value" per line. netdoctor
 * writes it; a user assembling a bundle by hand may write just "backend: legacy".
 *   pid: 812
 *   command: /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf
 *   iptables: /usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-legacy -> xtables-legacy-multi
 *   backend: legacy            (legacy | nft | wrapper: iptables-wrapper decides when kube-proxy first runs it)
 *   image: registry.k8s.io/kube-proxy:v1.13.10
 *   version: v1.13.10
 */
export interface KubeProxyInfo {
  source: string;
  pid?: number;
  command?: string;
  iptables?: string;
  backend?: IptablesBackend | 'wrapper';
  image?: string;
  version?: string;
  /** "--proxy-mode" from the command line */
  mode?: string;
  /** key → the line as written, for evidence */
  lines: Map<string, { line: number; text: string }>;
}

export function parseKubeProxyInfo(text: string, source = 'host/kube-proxy'): KubeProxyInfo {
  const info: KubeProxyInfo = { source, lines: new Map() };
  for (const [n, line] of numberedLines(text)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^([a-z-]+):\s*(.*)$/.exec(t);
    if (!m) throw new ParseError(source, n, `expected "key: value", got "${t.slice(0, 80)}"`);
    const key = group(m, 1);
    const value = group(m, 2);
    info.lines.set(key, { line: n, text: t });
    if (key === 'pid') {
      if (!/^\d+$/.test(value)) throw new ParseError(source, n, `pid is not a number: "${value.slice(0, 20)}"`);
      info.pid = Number(value);
    } else if (key === 'command') {
      info.command = value;
      info.mode = /--proxy-mode[= ](\w+)/.exec(value)?.[1];
    } else if (key === 'iptables') info.iptables = value;
    else if (key === 'backend') info.backend = backendName(value, source, n);
    else if (key === 'image') info.image = value;
    else if (key === 'version') info.version = value;
  }
  const tag = info.image ? /:v?(\d+\.\d+\.\d+)/.exec(info.image) : null;
  info.version ??= tag ? `v${tag[1]}` : undefined;
  return info;
}

function backendName(value: string, source: string, n: number): KubeProxyInfo['backend'] {
  const v = value.toLowerCase();
  if (v === 'legacy') return 'legacy';
  if (v === 'nft' || v === 'nf_tables') return 'nft';
  if (v === 'wrapper') return 'wrapper';
  if (v === 'unknown' || v === '') return undefined;
  throw new ParseError(source, n, `backend must be legacy, nft or wrapper, not "${value.slice(0, 20)}"`);
}

/** "iptables v1.8.9 (nf_tables)" → nft, "(legacy)" → legacy; 1.6 and older print no suffix and are legacy. */
export function parseIptablesVersion(
  text: string,
  source = 'host/iptables-version',
): { backend: IptablesBackend; text: string } {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const m = /^ip6?tables v(\d+)\.(\d+)[.\d]*(?: \((legacy|nf_tables)\))?/.exec(line);
  if (!m) throw new ParseError(source, 1, `expected "iptables vX.Y.Z (backend)", got "${line.slice(0, 80)}"`);
  return { backend: m[3] === 'nf_tables' ? 'nft' : 'legacy', text: line };
}

/** The backend a binary name stands for, at the end of the symlink chain of an iptables command. */
export function backendOfBinary(name: string): KubeProxyInfo['backend'] {
  if (/xtables-nft-multi|iptables-nft$/.test(name)) return 'nft';
  if (/xtables-legacy-multi|xtables-multi|iptables-legacy$/.test(name)) return 'legacy';
  if (/iptables-wrapper/.test(name)) return 'wrapper';
  return undefined;
}
