/**
 * Kubernetes manifests (YAML or JSON, several documents, `kind: List`, Helm output) as a tree that keeps
 * every node's file position. Built on the yaml package's CST and LineCounter; pure.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  type Document,
  type Node,
} from 'yaml';

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export interface ManifestProblem {
  source: string;
  position: Position;
  message: string;
}

/** One parsed file: its top-level objects and the problems that kept parts of it from being read. */
export interface ManifestFile {
  source: string;
  lines: string[];
  objects: YamlView[];
  problems: ManifestProblem[];
}

/** A node of a parsed document with its position; absent keys give an empty view, never an exception. */
export class YamlView {
  constructor(
    private readonly node: Node | null | undefined,
    private readonly doc: Document,
    readonly file: ManifestFile,
    private readonly counter: LineCounter,
    /** the `# Source: chart/templates/x.yaml` comment Helm writes above each document */
    readonly helmSource?: string,
  ) {}

  private resolved(): Node | null | undefined {
    let n = this.node;
    for (let hops = 0; n && isAlias(n) && hops < 8; hops++) n = n.resolve(this.doc);
    return n && isAlias(n) ? undefined : n;
  }

  get exists(): boolean {
    return this.resolved() != null;
  }

  get(key: string): YamlView {
    const n = this.resolved();
    const child = isMap(n)
      ? (n.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key)?.value as Node | null | undefined)
      : undefined;
    return new YamlView(child, this.doc, this.file, this.counter, this.helmSource);
  }

  /** get('spec', 'template', 'spec') */
  path(...keys: string[]): YamlView {
    return keys.reduce<YamlView>((v, k) => v.get(k), this);
  }

  items(): YamlView[] {
    const n = this.resolved();
    return isSeq(n)
      ? n.items.map((i) => new YamlView(i as Node, this.doc, this.file, this.counter, this.helmSource))
      : [];
  }

  entries(): [string, YamlView][] {
    const n = this.resolved();
    if (!isMap(n)) return [];
    return n.items.flatMap((p) => {
      const key = isScalar(p.key) ? p.key.value : p.key;
      return typeof key === 'string'
        ? [
            [key, new YamlView(p.value as Node, this.doc, this.file, this.counter, this.helmSource)] as [
              string,
              YamlView,
            ],
          ]
        : [];
    });
  }

  /** A scalar as text (numbers and booleans too); undefined for maps, lists and absent keys. */
  text(): string | undefined {
    const n = this.resolved();
    if (!isScalar(n) || n.value === null || n.value === undefined) return undefined;
    const v: unknown = n.value;
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : undefined;
  }

  bool(): boolean {
    const n = this.resolved();
    return isScalar(n) && (n.value === true || n.value === 'true');
  }

  strings(): string[] {
    return this.items().flatMap((i) => (i.text() === undefined ? [] : [i.text()!]));
  }

  position(): Position {
    const n = this.resolved() ?? this.node;
    const offset = n?.range?.[0] ?? 0;
    const p = this.counter.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /**
   * Where a 0-based (line, column) of a scalar's value sits in the file: exact for block literals (`|`) and
   * one-line scalars; the scalar's start otherwise (folding has moved the text).
   */
  positionInValue(line: number, column: number): Position {
    const n = this.resolved();
    const start = this.position();
    if (!isScalar(n)) return start;
    if (n.type === Scalar.BLOCK_LITERAL) {
      const first = start.line + 1 + line;
      const text = this.file.lines[first - 1] ?? '';
      const indent = this.blockIndent(start.line);
      return text.length > 0 ? { line: first, column: indent + column + 1 } : { line: first, column: 1 };
    }
    if (line === 0 && !this.sourceSpansLines(n)) {
      const quoted = n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE ? 1 : 0;
      return { line: start.line, column: start.column + quoted + column };
    }
    return start;
  }

  private sourceSpansLines(n: Scalar): boolean {
    const [a, b] = n.range ?? [0, 0];
    return this.counter.linePos(a).line !== this.counter.linePos(Math.max(a, b - 1)).line;
  }

  private blockIndent(indicatorLine: number): number {
    for (const text of this.file.lines.slice(indicatorLine)) {
      if (text.trim() !== '') return text.length - text.trimStart().length;
    }
    return 0;
  }
}

/** Parses a whole file; a broken document is reported with its position and the others still read. */
export function parseManifestFile(text: string, source: string): ManifestFile {
  const counter = new LineCounter();
  const file: ManifestFile = { source, lines: text.split(/\r?\n/), objects: [], problems: [] };
  // The yaml package's own unique-key check compares every pair of keys (a map of 40,000 keys took 88 s);
  // duplicateKeyErrors does the same check with a set per map, linear in the document.
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false, strict: false });
  for (const doc of Array.isArray(docs) ? docs : []) {
    for (const d of doc.errors.length > 0 ? [] : duplicateKeyErrors(doc.contents)) {
      const p = counter.linePos(d.offset);
      file.problems.push({
        source,
        position: { line: p.line, column: p.col },
        message: `Map keys must be unique: "${d.key.slice(0, 80)}" appears twice`,
      });
    }
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const p = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
        file.problems.push({
          source,
          position: { line: p.line, column: p.col },
          message: e.message.split('\n', 1).join(''),
        });
      }
      continue;
    }
    const comments = `${doc.commentBefore ?? ''}\n${(doc.contents as Node | null)?.commentBefore ?? ''}`;
    const helmSource = /(?:^|\n)\s*Source:\s*(\S+)/.exec(comments)?.[1];
    const root = new YamlView(doc.contents, doc, file, counter, helmSource);
    if (!root.exists) continue;
    for (const object of expandLists(root)) file.objects.push(object);
  }
  return file;
}

/** Duplicate scalar keys in every map of a document: one Set per map, nodes visited once (aliases not followed). */
function duplicateKeyErrors(root: Node | null): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  const stack: (Node | null | undefined)[] = [root];
  let visited = 0;
  while (stack.length > 0 && visited++ < 5_000_000) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        if (isScalar(k)) {
          const key = String(k.value);
          if (seen.has(key)) out.push({ key, offset: k.range?.[0] ?? 0 });
          seen.add(key);
        }
        stack.push(pair.value as Node | null);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as Node | null);
    }
  }
  return out;
}

/** `kind: List` (and FooList) holds its objects under items; Lists nest rarely, but they may. */
function expandLists(view: YamlView, depth = 0): YamlView[] {
  const kind = view.get('kind').text();
  if (kind && kind.endsWith('List') && view.get('items').exists && depth < 4)
    return view
      .get('items')
      .items()
      .flatMap((i) => expandLists(i, depth + 1));
  return [view];
}
