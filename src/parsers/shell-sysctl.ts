/**
 * What a container's command does to sysctls: `sysctl -w k=v`, `sysctl k=v`, `sysctl -p [FILE]`,
 * `echo v > /proc/sys/…`, `… | tee /proc/sys/…`, also through `nsenter -t 1 -n`, inside `sh -c` scripts
 * spanning lines; and whether a POD_IP/HOST_IP comparison guards each write (`if [ "$A" != "$B" ]; then`,
 * `[ … ] && sysctl …`, `[ "$A" = "$B" ] && exit 0`, `test`, `-ne`, either order).
 * Pure and total: a script it cannot follow yields fewer writes, never an exception.
 */

import { at, lastOf, type NonEmpty } from '../model/indexing.js';

export interface SysctlWrite {
  /** canonical dotted name; undefined for `sysctl -p`, whose keys live in a file */
  key?: string;
  /** the value as written, after substituting literal env values; undefined when not known */
  value?: string;
  via: 'sysctl' | 'sysctl -p' | '/proc/sys' | '/sys/module';
  /** the file `sysctl -p` loads */
  file?: string;
  /** the shell command, as one line */
  command: string;
  /** 0-based position of the key (or the command) inside the script */
  line: number;
  column: number;
  /** the variables of the comparison that guards it, when one does */
  guard?: { left: string; right: string };
  /** run through `nsenter -t 1 -n`: in the network namespace of the host's pid 1 (with hostPID) */
  viaNsenterPid1: boolean;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox']);

/** argv = command ++ args of a container. Returns the writes it performs and the script it ran, if any. */
export function sysctlWritesOfArgv(
  argv: string[],
  env: ReadonlyMap<string, string> = new Map(),
): { writes: SysctlWrite[]; script?: string; scriptIndex?: number } {
  const [command, second] = argv;
  if (command === undefined) return { writes: [] };
  const base = basename(command);
  const shellArgs = base === 'busybox' && second && SHELLS.has(second) ? argv.slice(2) : argv.slice(1);
  if (SHELLS.has(base)) {
    const c = shellArgs.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    const script = c >= 0 ? shellArgs[c + 1] : undefined;
    if (script !== undefined) {
      return { writes: sysctlWritesOfScript(script, env), script, scriptIndex: argv.length - shellArgs.length + c + 1 };
    }
  }
  // exec form: the words are the command itself
  const words = argv.map((text) => ({ text, line: 0, column: 0, op: false }));
  const writes: SysctlWrite[] = [];
  inspectCommand(words, env, undefined, false, writes);
  return { writes };
}

interface Token {
  text: string;
  line: number;
  column: number;
  /** an operator: ; && || | & newline > >> < ( ) */
  op: boolean;
}

/** Words and operators with their positions; quotes removed, $VARS kept as text. */
export function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 0;
  let lineStart = 0;
  let word: Token | undefined;
  const flush = () => {
    if (word) tokens.push(word);
    word = undefined;
  };
  const start = () => (word ??= { text: '', line, column: i - lineStart, op: false });
  while (i < script.length) {
    const ch = script.charAt(i);
    if (ch === '\n') {
      flush();
      tokens.push({ text: '\n', line, column: i - lineStart, op: true });
      i++;
      line++;
      lineStart = i;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      flush();
      i++;
    } else if (ch === '#' && !word) {
      while (i < script.length && script[i] !== '\n') i++;
    } else if (ch === '\\') {
      if (script[i + 1] === '\n') {
        i += 2;
        line++;
        lineStart = i;
      } else {
        start().text += script[i + 1] ?? '';
        i += 2;
      }
    } else if (ch === "'" || ch === '"') {
      start();
      // the closing quote; inside double quotes a backslash-escaped quote does not close it
      let stop = i + 1;
      while (stop < script.length && script[stop] !== ch) stop += ch === '"' && script[stop] === '\\' ? 2 : 1;
      stop = Math.min(stop, script.length);
      for (let k = i + 1; k < stop; k++) {
        if (script[k] === '\n') {
          line++;
          lineStart = k + 1;
        }
      }
      const quoted = script.slice(i + 1, stop);
      // inside double quotes a backslash escapes " \ $ `; inside single quotes nothing is special
      word!.text += ch === '"' ? quoted.replace(/\\(["\\$`])/g, '$1') : quoted;
      i = stop + 1;
    } else if (';&|<>()'.includes(ch)) {
      flush();
      const two = script.slice(i, i + 2);
      const op = ['&&', '||', '>>', ';;'].includes(two) ? two : ch;
      tokens.push({ text: op, line, column: i - lineStart, op: true });
      i += op.length;
    } else {
      start().text += ch;
      i++;
    }
  }
  flush();
  return tokens;
}

type GuardKind = 'ne' | 'eq';

interface Frame {
  guard?: SysctlWrite['guard'];
  /** for an if: the guard its else branch gets */
  elseGuard?: SysctlWrite['guard'];
  isIf: boolean;
  inCondition: boolean;
  condition: Token[][];
  /** an equality if whose then-branch exits: everything after its fi is guarded */
  exitsWhenEqual?: SysctlWrite['guard'];
  sawExit: boolean;
  conditionKind?: GuardKind;
}

const OPENERS = new Set(['while', 'until', 'for', 'case', '{', '(']);
const CLOSERS = new Set(['done', 'esac', '}', ')']);

export function sysctlWritesOfScript(script: string, env: ReadonlyMap<string, string> = new Map()): SysctlWrite[] {
  const writes: SysctlWrite[] = [];
  // the bottom frame is never popped (closers check `stack.length > 1`)
  const stack: NonEmpty<Frame> = [{ isIf: false, inCondition: false, condition: [], sawExit: false }];
  const guardNow = () => stack.findLast((frame) => frame.guard)?.guard;
  // an and-or list: the guard a previous element gives the commands after it
  let listGuard: SysctlWrite['guard'] | undefined;
  let lastKind: { kind: GuardKind; guard: SysctlWrite['guard'] } | undefined;
  let prevConnector = '';
  let words: Token[] = [];

  const endCommand = (connector: string) => {
    const cmd = afterReservedWords(words, stack);
    words = [];
    const top = lastOf(stack);
    const head = cmd[0];
    if (head) {
      if (top.inCondition) top.condition.push(cmd);
      const kind = guardOf(cmd);
      const isExit = head.text === 'exit' || head.text === 'return';
      const guard = listGuard ?? guardNow();
      if (isExit) {
        top.sawExit = true;
        // `[ A = B ] && exit` / `[ A != B ] || exit`: the rest of this block is guarded
        if (
          lastKind &&
          ((lastKind.kind === 'eq' && prevConnector === '&&') || (lastKind.kind === 'ne' && prevConnector === '||'))
        )
          top.guard ??= lastKind.guard;
      } else if (!top.inCondition) {
        inspectCommand(cmd, env, guard, false, writes);
      }
      if (kind) lastKind = kind;
      if (connector === '&&' && kind?.kind === 'ne') listGuard = kind.guard;
      if (connector === '||' && kind?.kind === 'eq') listGuard = kind.guard;
    }
    if (connector !== '&&' && connector !== '||' && connector !== '|') {
      listGuard = undefined;
      lastKind = undefined;
    }
    prevConnector = connector;
  };
  const tokens = tokenize(script);
  for (const t of tokens) {
    if (t.op && (t.text === '>' || t.text === '>>' || t.text === '<')) {
      words.push(t);
      continue;
    }
    if (t.op && (t.text === '(' || t.text === ')') && words.length === 0) {
      words.push({ ...t, op: false });
      endCommand(';');
      continue;
    }
    if (t.op) endCommand(t.text === '\n' ? ';' : t.text);
    else words.push(t);
  }
  endCommand(';');
  return writes;
}

/**
 * Leading reserved words open and close blocks (if/then/else/elif/fi, loops, braces, subshells) on the
 * frame stack; what follows them is a command, returned. `for` and `case` words are not commands.
 */
function afterReservedWords(words: Token[], stack: NonEmpty<Frame>): Token[] {
  let cmd = words;
  for (let head = cmd[0]; head && !head.op; head = cmd[0]) {
    const w = head.text;
    if (!applyReservedWord(w, stack) && w !== 'time') break;
    cmd = w === 'for' || w === 'case' ? [] : cmd.slice(1);
  }
  return cmd;
}

/** One reserved word's effect on the frame stack; false when the word is not one (a command starts). */
function applyReservedWord(w: string, stack: NonEmpty<Frame>): boolean {
  const top = lastOf(stack);
  if (w === 'if') stack.push({ isIf: true, inCondition: true, condition: [], sawExit: false });
  else if (w === 'then' && top.isIf) {
    top.inCondition = false;
    const cond = top.condition.map(guardOf).find(Boolean);
    top.conditionKind = cond?.kind;
    if (cond?.kind === 'ne') top.guard = cond.guard;
    if (cond?.kind === 'eq') top.elseGuard = cond.guard;
  } else if (w === 'else' && top.isIf) {
    if (top.conditionKind === 'eq' && top.sawExit) top.exitsWhenEqual = top.elseGuard;
    top.guard = top.elseGuard;
    top.sawExit = false;
  } else if (w === 'elif' && top.isIf) {
    top.guard = undefined;
    top.inCondition = true;
    top.condition = [];
  } else if (w === 'fi' && top.isIf && stack.length > 1) {
    stack.pop();
    const exitsWhenEqual =
      top.exitsWhenEqual ??
      (top.conditionKind === 'eq' && top.sawExit && top.guard === undefined ? top.elseGuard : undefined);
    if (exitsWhenEqual) lastOf(stack).guard ??= exitsWhenEqual;
  } else if (OPENERS.has(w) || w === 'do') {
    if (w !== 'do') stack.push({ isIf: false, inCondition: false, condition: [], sawExit: false });
  } else if (CLOSERS.has(w) && !top.isIf && stack.length > 1) stack.pop();
  else return false;
  return true;
}

/** `[ "$A" != "$B" ]`, `[[ … ]]`, `test …`, `!` negation, = == != -eq -ne. */
function guardOf(cmd: Token[]): { kind: GuardKind; guard: { left: string; right: string } } | undefined {
  let words = cmd.filter((t) => !t.op).map((t) => t.text);
  let negate = false;
  while (words[0] === '!') {
    negate = !negate;
    words = words.slice(1);
  }
  if (words[0] === '[' || words[0] === '[[')
    words = words.slice(1, words[words.length - 1] === ']' || words[words.length - 1] === ']]' ? -1 : undefined);
  else if (words[0] === 'test') words = words.slice(1);
  else return undefined;
  if (words[0] === '!') {
    negate = !negate;
    words = words.slice(1);
  }
  const [a, op, b] = words;
  if (words.length !== 3 || a === undefined || b === undefined) return undefined;
  const va = variableName(a);
  const vb = variableName(b);
  if (!va || !vb) return undefined;
  let kind: GuardKind | undefined =
    op === '!=' || op === '-ne' ? 'ne' : op === '=' || op === '==' || op === '-eq' ? 'eq' : undefined;
  if (!kind) return undefined;
  if (negate) kind = kind === 'ne' ? 'eq' : 'ne';
  return { kind, guard: { left: va, right: vb } };
}

function variableName(word: string): string | undefined {
  return /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(word)?.[1];
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Words that run the command after them: `sudo sysctl …`, `exec echo …`, `FOO=1 sysctl …`. */
const PREFIX_WORDS = new Set(['!', 'exec', 'command', 'sudo', 'busybox', 'env', 'nohup']);

/** How a command's writes are recorded: its text, the guard around it, whether it ran in the node's netns. */
type RecordWrite = (w: Omit<SysctlWrite, 'command' | 'guard' | 'viaNsenterPid1'>) => void;

/** Looks at one simple command for sysctl writes; recurses through nsenter and wrappers. */
function inspectCommand(
  cmd: Token[],
  env: ReadonlyMap<string, string>,
  guard: SysctlWrite['guard'],
  viaNsenter: boolean,
  writes: SysctlWrite[],
): void {
  const k = cmd.findIndex((t) => t.op || !(/^[A-Za-z_][A-Za-z0-9_]*=/.test(t.text) || PREFIX_WORDS.has(t.text)));
  const rest = k < 0 ? [] : cmd.slice(k);
  const first = rest[0];
  if (!first) return;
  const text = rest.map((t) => t.text).join(' ');
  const record: RecordWrite = (w) => writes.push({ ...w, command: text, guard, viaNsenterPid1: viaNsenter });
  const name = basename(first.text);
  if (SHELLS.has(name)) inspectShell(rest, env, guard, viaNsenter, writes);
  else if (name === 'nsenter') {
    const inner = nsenterInner(rest.slice(1));
    if (inner) inspectCommand(inner.command, env, guard, viaNsenter || inner.pid1Net, writes);
  } else if (name === 'sysctl') inspectSysctl(rest.slice(1), env, record);
  else inspectRedirects(name, rest, env, record);
}

/** `sh -c 'script'`: the script's own writes, placed at their position inside the command's string. */
function inspectShell(
  rest: Token[],
  env: ReadonlyMap<string, string>,
  guard: SysctlWrite['guard'],
  viaNsenter: boolean,
  writes: SysctlWrite[],
): void {
  const c = rest.findIndex((t, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(t.text));
  const script = c > 0 ? rest[c + 1] : undefined;
  if (!script || script.op) return;
  for (const inner of sysctlWritesOfScript(script.text, env)) {
    writes.push({
      ...inner,
      line: script.line + inner.line,
      column: inner.line === 0 ? script.column + inner.column : inner.column,
      guard: inner.guard ?? guard,
      viaNsenterPid1: inner.viaNsenterPid1 || viaNsenter,
    });
  }
}

const isLoadFlag = (word: string) =>
  word === '-p' || word === '--load' || word.startsWith('--load=') || /^-[a-zA-Z]*p$/.test(word);

/** `sysctl k=v …`, `sysctl -p [FILE]`, `sysctl --load=FILE`, `sysctl --system`. */
function inspectSysctl(words: Token[], env: ReadonlyMap<string, string>, record: RecordWrite): void {
  const args = words.filter((t) => !t.op);
  for (let a = 0; a < args.length; a++) {
    const at = args[a];
    if (!at) continue;
    const word = at.text;
    const next = args[a + 1];
    if (isLoadFlag(word)) {
      let file = '/etc/sysctl.conf';
      if (word.startsWith('--load=')) file = word.slice(7);
      else if (next && !next.text.startsWith('-')) {
        file = next.text;
        a++;
      }
      record({ via: 'sysctl -p', file, line: at.line, column: at.column });
    } else if (word === '--system')
      record({ via: 'sysctl -p', file: '/etc/sysctl.d/*.conf', line: at.line, column: at.column });
    else if (!word.startsWith('-') && word.includes('=')) {
      const eq = word.indexOf('=');
      record({
        via: 'sysctl',
        key: normalizeKey(word.slice(0, eq)),
        value: substitute(word.slice(eq + 1).trim(), env),
        line: at.line,
        column: at.column,
      });
    }
  }
}

/** The file a word of the command writes to: the word after `>`/`>>`, or tee's argument. */
function writeTarget(name: string, rest: Token[], a: number): Token | undefined {
  const t = rest[a];
  if (!t) return undefined;
  if (t.op && (t.text === '>' || t.text === '>>')) return rest[a + 1];
  return !t.op && name === 'tee' && a > 0 && isKernelParameter(t.text) ? t : undefined;
}

/** `echo v > /proc/sys/…`, printf, `cat <<…`, and `tee /proc/sys/…`. */
function inspectRedirects(name: string, rest: Token[], env: ReadonlyMap<string, string>, record: RecordWrite): void {
  for (let a = 0; a < rest.length; a++) {
    const target = writeTarget(name, rest, a);
    if (!target || target.op || !isKernelParameter(target.text)) continue;
    const valueWords =
      name === 'echo' || name === 'printf'
        ? rest
            .slice(1, a)
            .filter((w) => !w.op && !/^-[neE]+$/.test(w.text))
            .map((w) => w.text)
        : [];
    const value = valueWords.length > 0 ? substitute(valueWords.join(' '), env) : undefined;
    const via = target.text.startsWith('/proc/sys/') ? '/proc/sys' : '/sys/module';
    record({
      via,
      key: via === '/proc/sys' ? normalizeKey(target.text) : target.text,
      value,
      line: target.line,
      column: target.column,
    });
  }
}

/** `nsenter -t 1 -n -- CMD`, `nsenter --target=1 --net CMD`, `nsenter --net=/proc/1/ns/net CMD`. */
function nsenterInner(args: Token[]): { command: Token[]; pid1Net: boolean } | undefined {
  let target: string | undefined;
  let net = false;
  let netPid1 = false;
  let k = 0;
  for (; k < args.length; k++) {
    const w = at(args, k).text;
    if (w === '--') {
      k++;
      break;
    }
    if (!w.startsWith('-')) break;
    if (w === '-t' || w === '--target') target = args[++k]?.text;
    else if (w.startsWith('--target=')) target = w.slice(9);
    else if (w.startsWith('--net=') || w.startsWith('--network='))
      netPid1 = /^--net(work)?=\/proc\/1\/ns\/net$/.test(w);
    else if (w === '--net' || w === '--network') net = true;
    else if (/^-[a-zA-Z]+$/.test(w)) {
      if (w.includes('n')) net = true;
      const t = w.indexOf('t');
      if (t >= 0) target = t === w.length - 1 ? args[++k]?.text : w.slice(t + 1);
    }
  }
  const command = args.slice(k);
  return command.length > 0 ? { command, pid1Net: netPid1 || (net && target === '1') } : undefined;
}

/**
 * /proc/sys/… and kernel module parameters (/sys/module/nf_conntrack/parameters/hashsize): both are written
 * like files and change the kernel; module parameters are never per namespace.
 */
function isKernelParameter(path: string): boolean {
  return path.startsWith('/proc/sys/') || /^\/sys\/module\/[^/]+\/parameters\/./.test(path);
}

function normalizeKey(key: string): string {
  return key
    .replace(/^\/proc\/sys\//, '')
    .replace(/^\//, '')
    .replaceAll('/', '.');
}

/** $VAR and ${VAR} from literal env values; anything else is left as written. */
function substitute(value: string, env: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => env.get(name) ?? whole);
}
