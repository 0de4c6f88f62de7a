import { ToolError } from '../model/errors.js';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { ArtefactSink } from '../facts/sink.js';
import { cleanPaste, pasteIsUntouched } from '../parsers/paste.js';
import { MAX_MANIFEST_INPUT } from './limits.js';
import { LOOSE_KINDS, sniffKind, UNUSABLE_KINDS, type LooseKind } from '../parsers/sniff.js';

/** A pasted artefact larger than this is not a paste: make a bundle with `netdoctor collect` instead. */
const MAX_LOOSE_BYTES = 256 * 1024 * 1024;

/** Big socket and connection tables and iptables dumps go through the streaming scanners, as a bundle's do. */
const STREAMED: ReadonlySet<LooseKind> = new Set([
  'proc-net-tcp',
  'proc-net-tcp6',
  'proc-net-ip_vs_conn',
  'ipvsadm-Lnc',
  'iptables-save',
  'iptables-nft-save',
  'ip6tables-save',
  'ip6tables-nft-save',
]);

/** What sniffing reads of a file that needed no cleaning: its kind shows in its first lines. */
const SNIFFED_BYTES = 1024 * 1024;

/** The order a collection writes in: sysctls before sockets (the range shapes the scan), iptables before sockets. */
const ORDER: LooseKind[] = [
  'kernel-log',
  'kernel-release',
  'os-release',
  'iptables-version',
  'kube-proxy-log',
  'k8s-json',
  'k8s-yaml',
  'sysctl',
  'ip_local_port_range',
  'ip_local_reserved_ports',
  'proc-net-netstat',
  'proc-net-snmp',
  'proc-net-sockstat',
  'netstat-s',
  'iptables-save',
  'iptables-nft-save',
  'ip6tables-save',
  'ip6tables-nft-save',
  'ipset-save',
  'ip-route',
  'ip6-route',
  'proc-net-tcp',
  'proc-net-tcp6',
  'ss-tan',
  'netstat-an',
  'proc-net-ip_vs',
  'proc-net-ip_vs_conn',
  'ipvsadm-Ln',
  'ipvsadm-Lnc',
];

/** Kinds whose second file would overwrite the first: one machine has one of each. */
const ONE_EACH = new Set<LooseKind>(ORDER.filter((k) => k !== 'k8s-json' && k !== 'k8s-yaml'));

class LooseFileError extends ToolError {}

/**
 * A file named on the command line, read whole (or its first `head` bytes): a regular file only (a FIFO
 * or device would hang or flood), opened non-blocking, and no larger than MAX_LOOSE_BYTES.
 */
function readRegularFile(path: string, head?: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LooseFileError(
      `${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LooseFileError(`${path}: not a regular file (a FIFO, device or socket is not read)`);
    if (st.size > MAX_LOOSE_BYTES)
      throw new LooseFileError(
        `${path}: ${st.size} bytes, over the ${MAX_LOOSE_BYTES / 1024 / 1024} MiB a loose file may have; collect a bundle instead`,
      );
    const size = Math.min(st.size, head ?? st.size);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, null);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** gzip or tar: a bundle, not a loose file. */
export function looksLikeArchive(path: string): boolean {
  if (/\.(tar\.gz|tgz|tar)$/i.test(path)) return true;
  try {
    const head = readRegularFile(path, 262);
    return (head[0] === 0x1f && head[1] === 0x8b) || head.toString('latin1', 257, 262) === 'ustar';
  } catch {
    return false;
  }
}

interface Placed {
  path: string;
  kind: LooseKind;
  how: string;
  /** bytes as read, when a streamed kind needed no cleaning: a big file is then never decoded whole */
  content: string | Buffer;
}

/** Kubernetes objects in YAML become the JSON that k8s/*.json holds (a List of the documents). */
async function yamlToJson(text: string, path: string): Promise<string> {
  const { parseAllDocuments } = await import('yaml');
  const items: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new LooseFileError(`${path}: YAML error: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) items.push(value);
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/**
 * `netdoctor analyze FILE…` with files that are not bundles: each is cleaned of paste wrapping, its kind
 * sniffed (or given with --as), and it is filed where a bundle would hold it, in the collection's order.
 * Returns sentences for the report: what each file was read as, and why.
 */
export async function replayLooseFiles(
  paths: string[],
  as: LooseKind | undefined,
  sink: ArtefactSink,
): Promise<{ notes: string[]; names: Map<string, string> }> {
  const notes: string[] = [];
  /** the artefact name evidence cites ("ipvsadm-Ln", "/proc/net/tcp") → the file the user gave */
  const names = new Map<string, string>();
  const placed: Placed[] = [];
  sink.netns({ id: 'host', isHost: true });
  for (const path of paths) {
    const bytes = readRegularFile(path);
    const cleaned = pasteIsUntouched(bytes)
      ? { text: undefined, commands: [], wrapping: [] }
      : cleanPaste(bytes.toString('utf8'));
    const head = cleaned.text ?? bytes.toString('utf8', 0, Math.min(bytes.length, SNIFFED_BYTES));
    const sniffed = as ? { kind: as, how: '--as' } : sniffKind(head, path, cleaned.commands);
    const unusable = sniffed
      ? undefined
      : Object.values(UNUSABLE_KINDS).find((u) => u.test.test(head.slice(0, 64 * 1024)));
    if (unusable) {
      sink.failed(`loose/${basename(path)}`, `${path}: ${unusable.advice}`);
      continue;
    }
    if (!sniffed) {
      sink.failed(
        `loose/${basename(path)}`,
        `${path}: could not tell what this file is; name its kind with --as KIND (netdoctor analyze --help lists them)`,
      );
      continue;
    }
    if (ONE_EACH.has(sniffed.kind) && placed.some((p) => p.kind === sniffed.kind)) {
      sink.failed(
        `loose/${basename(path)}`,
        `${path}: a second ${sniffed.kind} file; one machine has one, so it was not read (analyse it on its own)`,
      );
      continue;
    }
    // the YAML stack holds a tree many times the text's size: the same cap as `lint` input
    if (sniffed.kind === 'k8s-yaml' && (cleaned.text?.length ?? bytes.length) > MAX_MANIFEST_INPUT) {
      sink.failed(
        `loose/${basename(path)}`,
        `${path}: YAML over ${MAX_MANIFEST_INPUT / 1024 / 1024} MiB, not read; give kubectl's JSON instead`,
      );
      continue;
    }
    let target: string = LOOSE_KINDS[sniffed.kind];
    // the sniffed head is the whole file when the file is no bigger
    let content: string | Buffer =
      cleaned.text ??
      (STREAMED.has(sniffed.kind) ? bytes : bytes.length <= SNIFFED_BYTES ? head : bytes.toString('utf8'));
    if (sniffed.kind === 'k8s-json' || sniffed.kind === 'k8s-yaml') {
      target = `k8s/${placed.filter((p) => p.path.startsWith('k8s/')).length}-${basename(path).replace(/[^\w.-]/g, '_')}.json`;
      if (sniffed.kind === 'k8s-yaml') content = await yamlToJson(content.toString(), path);
    }
    placed.push({ path: target, kind: sniffed.kind, how: sniffed.how, content });
    const artefact = target.replace(/^netns\/host\//, '');
    names.set(artefact, path);
    names.set(target, path);
    if (artefact.startsWith('proc/net/')) names.set(`/${artefact}`, path);
    const wrapping =
      cleaned.wrapping.length > 0
        ? `; ${cleaned.wrapping.length} line(s) of paste wrapping (prompt, fences) left out`
        : '';
    notes.push(`${path} read as ${sniffed.kind} (${sniffed.how})${wrapping}`);
  }
  placed.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  for (const p of placed) {
    if (STREAMED.has(p.kind)) {
      const bytes = typeof p.content === 'string' ? Buffer.from(p.content, 'utf8') : p.content;
      const w = sink.stream(p.path, bytes.length);
      w.push(bytes);
      w.end();
    } else {
      sink.text(p.path, p.content.toString());
    }
  }
  await sink.finish({
    tool: 'loose files',
    version: '',
    createdAt: '',
    hostname: paths.length === 1 ? basename(paths[0] ?? '') : `${paths.length} files`,
    intervalMs: 0,
    byteOrder: 'LE',
    netns: [{ id: 'host', isHost: true }],
    problems: [],
    notes,
  });
  return { notes, names };
}
