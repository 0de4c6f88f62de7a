/**
 * What people paste is command output wrapped in the way they pasted it: CRLF line ends, Markdown fences,
 * the shell prompt and command they typed, a uniform indent from a quote or an e-mail. `cleanPaste`
 * removes the wrapping and keeps every line where it was (removed lines become empty), so line numbers
 * in evidence still point into the file the user has.
 */

interface CleanedPaste {
  text: string;
  /** commands typed at a prompt in the paste, with their 1-based line: they tell what the output is */
  commands: { line: number; command: string }[];
  /** 1-based lines that were wrapping (fences, prompts), not output */
  wrapping: number[];
}

/** Programs whose output this tool reads: after a bare "# " they mark a root prompt, not a comment. */
const KNOWN_COMMANDS =
  /^(sudo\s+)?(ipvsadm|ipset|iptables[\w-]*|ip6tables[\w-]*|ss|netstat|nstat|cat|sysctl|kubectl|conntrack|ip|uname|journalctl|crictl|docker|tail|head|grep|tcpdump)\b/;

/** user@host:~#, [root@host dir]#, host:~ $, plain "$ " and "/ # " (busybox) prompts. */
const PROMPT = /^(?:\S+@[\w.-]+(?::\S*)?\s*[#$%>]|\[[^\]\n]{1,80}\][#$]|[\w.-]+:\S*\s*[#$]|\/\s*#|\$|>)\s+(\S.*)$/;

export function cleanPaste(input: string): CleanedPaste {
  return pasteIsUntouched(input) ? { text: input, commands: [], wrapping: [] } : cleanPasteLineByLine(input);
}

/** Every prompt form holds one of #$%>, a fence ` or ~: only lines with one of these can be wrapping. */
const MIGHT_WRAP = ['#', '$', '%', '>', '`', '~'];

/**
 * True when cleanPaste would return the input as it is: output saved straight to a file (the usual case for
 * a big one), said without splitting it into lines, which for a 48 MiB iptables-save cost 600 ms. Unsure (a
 * CR, an indent, a quote or bullet prefix, a wrapping line, a command first) means false. Bytes as well as
 * text: a big loose file is then never decoded whole.
 */
export function pasteIsUntouched(input: string | Buffer): boolean {
  const lineOf = (start: number, end: number) =>
    typeof input === 'string' ? input.slice(start, end) : input.toString('utf8', start, end);
  const lineEnd = (from: number) => {
    const nl = input.indexOf('\n', from);
    return nl < 0 ? input.length : nl;
  };
  if (input.includes('\r')) return false;
  let first = 0;
  for (; first < input.length; first++) {
    const c = typeof input === 'string' ? input.charCodeAt(first) : (input[first] ?? 0);
    if (c === 10) continue;
    if (c === 32 || c === 9 || c === 11 || c === 12 || c >= 0x80) return false; // an indent, or maybe one
    break;
  }
  if (first === input.length) return true;
  const firstLine = lineOf(first, lineEnd(first)).trim();
  // a quote or bullet prefix ("> ", and a bare ">" line counts as one), or a command before its output
  if (/^[>*]( |$)/.test(firstLine) || KNOWN_COMMANDS.test(firstLine)) return false;
  for (const c of MIGHT_WRAP)
    for (let at = input.indexOf(c); at >= 0;) {
      const end = lineEnd(at);
      if (isWrapping(lineOf(input.lastIndexOf('\n', at) + 1, end).trim())) return false;
      at = end < input.length ? input.indexOf(c, end + 1) : -1;
    }
  return true;
}

function isWrapping(t: string): boolean {
  return /^(```|~~~)/.test(t) || promptCommand(t) !== undefined;
}

/** The command typed at a prompt on this (trimmed) line. */
function promptCommand(t: string): string | undefined {
  const prompt = PROMPT.exec(t) ?? (t.startsWith('# ') && KNOWN_COMMANDS.test(t.slice(2)) ? ['', t.slice(2)] : null);
  return prompt?.[1] !== undefined && KNOWN_COMMANDS.test(prompt[1]) ? prompt[1] : undefined;
}

/** cleanPaste without its shortcut: every line looked at (exported so a test can compare the two). */
export function cleanPasteLineByLine(input: string): CleanedPaste {
  const lines = input.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const commands: CleanedPaste['commands'] = [];
  const wrapping: number[] = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (/^(```|~~~)/.test(t)) {
      wrapping.push(i + 1);
      lines[i] = '';
      return;
    }
    const command = promptCommand(t);
    if (command !== undefined) {
      commands.push({ line: i + 1, command });
      wrapping.push(i + 1);
      lines[i] = '';
    }
  });
  stripQuotePrefix(lines);
  bareCommandFirst(lines, commands, wrapping);
  const indent = commonIndent(lines);
  const text = (indent > 0 ? lines.map((l) => l.slice(Math.min(indent, l.length))) : lines).join('\n');
  return { text, commands, wrapping };
}

/** A paste that starts with the command itself, no prompt ("cat /proc/net/tcp", "iptables-save"), then its output. */
function bareCommandFirst(lines: string[], commands: CleanedPaste['commands'], wrapping: number[]): void {
  const i = lines.findIndex((l) => l.trim() !== '');
  const first = lines[i];
  if (first === undefined || commands.some((c) => c.line < i + 1)) return;
  const t = first.trim();
  if (
    !KNOWN_COMMANDS.test(t) ||
    t.length > 200 ||
    !/^[\w./ |"'=:-]+$/.test(t) ||
    lines.slice(i + 1).every((l) => l.trim() === '')
  )
    return;
  commands.unshift({ line: i + 1, command: t });
  wrapping.push(i + 1);
  lines[i] = '';
}

/** "> " (a Markdown quote) or "* " (a bullet list) on every non-empty line is the paste's, not the output's. */
function stripQuotePrefix(lines: string[]): void {
  for (const prefix of ['> ', '* ']) {
    const content = lines.filter((l) => l.trim() !== '');
    if (content.length === 0 || !content.every((l) => l.startsWith(prefix) || l.trim() === prefix.trim())) continue;
    lines.forEach(
      (l, i) => (lines[i] = l.startsWith(prefix) ? l.slice(prefix.length) : l.trim() === prefix.trim() ? '' : l),
    );
    return;
  }
}

/** The indent every non-empty line shares (spaces or tabs alike), which a quote or an editor added. */
function commonIndent(lines: string[]): number {
  let min = Infinity;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const n = l.length - l.trimStart().length;
    if (n < min) min = n;
    if (min === 0) return 0;
  }
  return Number.isFinite(min) ? min : 0;
}
