/** Helper commands that hang, flood or hide behind wrapper scripts cost a bounded time and nothing else. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_GATHERED_BYTES, run, setDeadline } from '../../src/sources/host/run.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-run-'))));
after(async () => {
  setDeadline(undefined);
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const alive = (marker: string) => spawnSync('pgrep', ['-f', marker]).status === 0;

describe('run: bounded helper commands', () => {
  it('a wrapper script whose child holds the pipe: the whole group is killed at the timeout', async () => {
    const marker = `sleep 4242${process.pid}`;
    const path = await script('wrapper', `sh -c '${marker}' &\n${marker}`);
    await assert.rejects(run(path, [], { timeoutMs: 300 }), /timed out after 300 ms/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(marker), false, 'nothing it started is left running');
  });
  it('a command that exits while its child keeps the pipe open does not hang the read', async () => {
    const marker = `sleep 4343${process.pid}`;
    const path = await script('leaver', `(setsid ${marker} &) ; echo done`);
    const r = await run(path, [], { timeoutMs: 10_000 });
    assert.equal(r.stdout.toString().trim(), 'done');
    spawnSync('pkill', ['-f', marker]);
  });
  it('a flooding command is stopped at the output cap', async () => {
    const path = await script('flood', 'exec yes flooooooooooooooooooooooooooooooooooooooooood');
    await assert.rejects(
      run(path, [], { timeoutMs: 60_000 }),
      new RegExp(`more than ${MAX_GATHERED_BYTES / 1024 / 1024} MiB of output`),
    );
  });
  it("after the collection's deadline no command runs", async () => {
    setDeadline(Date.now() - 1);
    await assert.rejects(run('true', []), /deadline passed/);
    setDeadline(undefined);
    assert.equal((await run('true', [])).code, 0);
  });
  it('system directories come before PATH', async () => {
    await script('iptables-legacy-save', 'echo planted');
    const saved = process.env.PATH;
    process.env.PATH = `${dir}:${saved ?? ''}`;
    try {
      const { resolveCommand } = await import('../../src/sources/host/run.js');
      const found = resolveCommand('sh');
      assert.ok(found?.startsWith('/usr/') || found?.startsWith('/bin') || found?.startsWith('/sbin'), found);
    } finally {
      process.env.PATH = saved;
    }
  });
});
