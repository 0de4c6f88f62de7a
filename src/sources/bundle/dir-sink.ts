import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArtefactSink, BundleInfo, ChunkWriter } from '../../facts/sink.js';
import type { NetnsMeta } from '../../facts/types.js';
import type { Redactor } from '../../redact/redactor.js';

export const SCHEMA_VERSION = 1;

/** Every artefact is a new file: a link or file planted at its path makes the write fail, not follow. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface Manifest {
  schemaVersion: number;
  tool: string;
  version: string;
  createdAt: string;
  hostname: string;
  intervalMs: number;
  netns: NetnsMeta[];
  byteOrder?: 'LE' | 'BE';
  nodePortRange?: string;
  nodePortRangeOrigin?: string;
  redacted?: boolean;
  /** artefacts that could not be collected, and why */
  problems?: { path: string; reason: string }[];
  /** what the machine does not have (no IPVS, no kube-proxy): the rules needing it do not apply */
  absent?: { path: string; reason: string }[];
  notes?: string[];
}

/** Writes artefacts as a bundle directory (the layout in SPEC.md) and manifest.json last. */
export class DirSink implements ArtefactSink {
  private readonly root: string;
  private readonly problems: { path: string; reason: string }[] = [];
  private readonly absences: { path: string; reason: string }[] = [];
  private readonly redactor: Redactor | undefined;

  constructor(root: string, redactor?: Redactor) {
    this.root = root;
    this.redactor = redactor;
    mkdirSync(root, { recursive: true });
  }

  netns(): void {}

  text(path: string, content: string): void {
    const file = this.file(path);
    const r = this.redactor;
    const redacted = !r ? content : isIpvsProc(path) ? redactLines(content, (l) => r.ipvsLine(l)) : r.text(content);
    writeNew(file, redacted);
  }

  stream(path: string): ChunkWriter {
    const fd = openSync(this.file(path), CREATE_NEW, 0o600);
    if (!this.redactor) {
      return {
        push: (c) => void writeSync(fd, c),
        end: () => {
          closeSync(fd);
        },
      };
    }
    const redactor = this.redactor;
    // Hex addresses are encoded per format; anything else streamed (ipvsadm -Lnc) is plain text.
    const redactLine = path.includes('/proc/net/tcp')
      ? (l: string) => redactor.procNetTcpLine(l)
      : isIpvsProc(path)
        ? (l: string) => redactor.ipvsLine(l)
        : (l: string) => redactor.text(l);
    let carry = '';
    return {
      push: (c) => {
        const text = carry + c.toString('latin1');
        const cut = text.lastIndexOf('\n') + 1;
        carry = text.slice(cut);
        if (cut > 0) writeSync(fd, redactLines(text.slice(0, cut), redactLine), null, 'latin1');
      },
      end: () => {
        if (carry) writeSync(fd, redactLine(carry), null, 'latin1');
        closeSync(fd);
      },
    };
  }

  failed(path: string, reason: string): void {
    this.problems.push({ path, reason });
  }

  absent(path: string, reason: string): void {
    this.absences.push({ path, reason });
  }

  async finish(info: BundleInfo): Promise<void> {
    const r = this.redactor;
    const manifest: Manifest = {
      schemaVersion: SCHEMA_VERSION,
      tool: info.tool,
      version: info.version,
      createdAt: info.createdAt,
      hostname: r ? r.text(info.hostname) : info.hostname,
      intervalMs: info.intervalMs,
      byteOrder: info.byteOrder,
      nodePortRange: info.nodePortRange,
      nodePortRangeOrigin: info.nodePortRangeOrigin,
      redacted: r ? true : undefined,
      netns: info.netns,
      problems: this.problems.map((p) => ({ path: p.path, reason: r ? r.text(p.reason) : p.reason })),
      absent: this.absences.length > 0 ? this.absences : undefined,
      notes: info.notes,
    };
    writeNew(join(this.root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  }

  private file(path: string): string {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    return file;
  }
}

function writeNew(file: string, text: string): void {
  const fd = openSync(file, CREATE_NEW, 0o600);
  try {
    writeSync(fd, text, null, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function redactLines(text: string, f: (line: string) => string): string {
  return text.split('\n').map(f).join('\n');
}

function isIpvsProc(path: string): boolean {
  return /\/proc\/net\/ip_vs(_conn)?$/.test(path);
}
