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
    const prompt = PROMPT.exec(t) ?? (t.startsWith('# ') && KNOWN_COMMANDS.test(t.slice(2)) ? ['', t.slice(2)] : null);
    if (prompt && KNOWN_COMMANDS.test(prompt[1])) {
      commands.push({ line: i + 1, command: prompt[1] });
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
