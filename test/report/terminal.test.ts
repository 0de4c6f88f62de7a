/** Escape sequences and forged lines from outside text never reach the terminal raw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forTerminal } from '../../src/report/terminal.js';
import { runCli } from '../helpers.js';

const ESC = '\u001b';
const HOSTILE = `${ESC}]0;pwned${ESC}\\${ESC}[2J${ESC}[1;32mNo problems found.${ESC}[0m`;

describe('text from outside is escaped for the terminal', () => {
  it('control characters, C1 and bidi overrides become visible; tabs stay', () => {
    assert.equal(forTerminal(`a${ESC}[2Jb\tc\nd\u202ee\u009b`), 'a\\x1b[2Jb\tc\\nd\\u{202e}e\\x9b');
  });
  it('a manifest name carrying escapes: text and github output hold no ESC byte', async () => {
    const manifest = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x${HOSTILE.replaceAll('\\', '\\\\').replaceAll(ESC, '\\e')}"\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: busybox\n    securityContext: {privileged: true}\n    command: ["sysctl", "-w", "net.ipv4.ip_local_port_range=1024 65535"]\n`;
    for (const format of ['text', 'github', 'markdown']) {
      const r = await runCli(['lint', '-', '--format', format], { stdin: manifest });
      assert.equal(r.code, 1, `${format}: ${r.stderr}`);
      assert.ok(!r.stdout.includes(ESC), `${format}: no raw ESC`);
      if (format !== 'markdown') assert.match(r.stdout, /\\x1b\[2J/, `${format}: shown escaped`);
    }
  });
  it('a pasted log line with escapes and a forged "No problems found." line', async () => {
    const r = await runCli(['explain', '-'], {
      stdin: `dial tcp 10.96.0.1:443: connect: connection refused ${HOSTILE}\n`,
    });
    assert.ok(!r.stdout.includes(ESC));
    assert.doesNotMatch(r.stdout, /^No problems found\.$/m);
  });
});
