/** CLI conventions a newcomer tripped over (issue on the codebase, §7). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BIN, runCli } from '../helpers.js';

describe('CLI conventions', () => {
  it('`rules | head -1` ends quietly (EPIPE is not an error)', () => {
    const r = spawnSync('sh', ['-c', `"${BIN}" rules | head -1; echo "status=\${PIPESTATUS:-0}"`], {
      encoding: 'utf8',
    });
    assert.match(r.stdout, /^ephemeral-port-exhaustion /);
    assert.doesNotMatch(r.stderr, /EPIPE|internal error/);
  });
  it('a rule id typo gets "did you mean"', async () => {
    const r = await runCli(['analyze', '--rules', 'ephemeral-port-exhaustoin', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown rule: ephemeral-port-exhaustoin \(did you mean ephemeral-port-exhaustion\?\)/);
  });
  it('--interval takes a duration: a large bare number is refused with its likely meaning; help shows 2s', async () => {
    const r = await runCli(['node', '--interval', '2000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"2000" would be 2000 seconds; give a unit: 2000ms/);
    const help = await runCli(['node', '--help']);
    assert.match(help.stdout, /--interval <duration>[^]*?\(default: 2s\)/);
    assert.doesNotMatch(help.stdout, /"sarif"/, 'node offers no format it refuses');
  });
  it('--quiet with nothing to show prints nothing', async () => {
    const r = await runCli(['lint', '-', '--quiet'], {
      stdin: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n',
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
  });
  it('an empty NO_COLOR does not disable colour (no-color.org); counts are worded in the singular for one', async () => {
    const { useColor } = await import('../../src/cli/options.js');
    const saved = { NO_COLOR: process.env.NO_COLOR, tty: process.stdout.isTTY };
    try {
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      process.env.NO_COLOR = '';
      assert.equal(useColor({ color: true }), true);
      process.env.NO_COLOR = '1';
      assert.equal(useColor({ color: true }), false);
    } finally {
      if (saved.NO_COLOR === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved.NO_COLOR;
      Object.defineProperty(process.stdout, 'isTTY', { value: saved.tty, configurable: true });
    }
    const r = await runCli(['lint', '-', '--rules', 'unsafe-sysctl'], {
      stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    });
    assert.match(r.stdout, /1 file, 0 workloads, 1 rule,/);
  });
});
