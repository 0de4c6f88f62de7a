/**
 * Text from outside (pod names, manifest values, log lines, pasted messages) must not drive the terminal:
 * an escape sequence could retitle the window, clear the screen or print a fake "No problems found", a
 * newline could forge a line, a bidi override could reorder what is read. Every such character is shown
 * as a visible escape instead; tabs stay (sysctl prints them between values).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** A copy of any JSON-like value with every string made safe for a terminal (keys included). */
export function safeForTerminal<T>(value: T): T {
  if (typeof value === 'string') return forTerminal(value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => safeForTerminal(v)) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [safeForTerminal(k), safeForTerminal(v)])) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[forTerminal(k)] = safeForTerminal(v);
    return out as T;
  }
  return value;
}
