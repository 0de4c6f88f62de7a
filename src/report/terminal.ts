/**
 * Text from outside (pod names, manifest values, log lines, pasted messages) must not drive the terminal:
 * an escape sequence could retitle the window, clear the screen or print a fake "No problems found", a
 * newline could forge a line, a bidi override could reorder what is read. Every such character is shown
 * as a visible escape instead; tabs stay (sysctl prints them between values).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The same characters, tested for without the g flag's lastIndex: most strings have none. */
const HAS_UNSAFE = new RegExp(UNSAFE.source);

export function forTerminal(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * A copy of any JSON-like value with every string made safe for a terminal (keys included). Index loops and
 * for…in rather than map and Object.entries: a report of 1,000 explained lines is 100,000 strings, and the
 * arrays those made were most of the copy's time.
 */
export function safeForTerminal<T>(value: T): T {
  return safeCopy(value) as T;
}

function safeCopy(value: unknown): unknown {
  if (typeof value === 'string') return forTerminal(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = safeCopy(value[i]);
    return out;
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [safeCopy(k), safeCopy(v)]));
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const k in record) if (Object.hasOwn(record, k)) out[forTerminal(k)] = safeCopy(record[k]);
  return out;
}
