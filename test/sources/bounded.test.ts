/**
 * Oversized and endless inputs, each run through the real CLI under a 256 MiB heap limit: every one ends
 * (refused or answered) instead of growing without bound. The time bound is deliberately generous (a
 * hang or a quadratic blow-up takes minutes; a pass takes seconds) and is not a benchmark.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN } from '../helpers.js';

const GENEROUS_MS = 60_000;
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-bounded-'))));
after(() => rm(dir, { recursive: true, force: true }));

/** Runs the CLI with a heap limit, feeding `feed` to its stdin; the exit code, stderr and wall time. */
function bounded(
  args: string[],
  feed?: (stdin: NodeJS.WritableStream) => void,
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(BIN, args, {
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c).slice(0, 4096)));
    child.stdin.on('error', () => {}); // the CLI may stop reading before we stop writing
    const killer = setTimeout(() => child.kill('SIGKILL'), GENEROUS_MS * 2);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
    if (feed) feed(child.stdin);
    else child.stdin.end();
  });
}

/** Writes `total` bytes of `unit` repeated, then ends, respecting backpressure. */
function stream(total: number, unit: string, end = '') {
  return (stdin: NodeJS.WritableStream) => {
    const block = Buffer.from(unit.repeat(Math.ceil((1 << 20) / unit.length)));
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += block.length;
        if (!stdin.write(block)) return void stdin.once('drain', pump);
      }
      stdin.end(end);
    };
    pump();
  };
}

describe('bounded resources on hostile input', () => {
  it('explain: one 200 MB line is read in linear time and bounded memory', async () => {
    const r = await bounded(
      ['explain', '-'],
      stream(200 * 1024 * 1024, 'dial tcp 10.0.0.1:80: connect: connection refused ', '\n'),
    );
    assert.ok(r.code === 0 || r.code === 2, r.stderr);
    assert.doesNotMatch(r.stderr, /heap out of memory|internal error/);
    assert.ok(r.ms < GENEROUS_MS, `${r.ms} ms`);
  });
  it('lint -: endless stdin is refused at the input cap', async () => {
    const r = await bounded(['lint', '-'], stream(512 * 1024 * 1024, 'a: b\n'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /more than 32 MiB of manifests/);
    assert.ok(r.ms < GENEROUS_MS, `${r.ms} ms`);
  });
  it('lint /dev/zero is refused, not read', async () => {
    const r = await bounded(['lint', '/dev/zero']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a regular file/);
  });
  it('lint: one YAML map of 40,000 keys (unique-key checking is linear)', async () => {
    const file = join(dir, 'keys.yaml');
    await writeFile(
      file,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n${Array.from({ length: 40_000 }, (_, i) => `  k${i}: v\n`).join('')}`,
    );
    const r = await bounded(['lint', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < GENEROUS_MS, `${r.ms} ms`);
  });
  it('analyze: a 300 MB loose file is refused by its size, not read', async () => {
    const file = join(dir, 'huge.txt');
    const { truncate } = await import('node:fs/promises');
    await writeFile(file, 'TIME-WAIT 0 0 10.0.0.1:40000 10.0.0.2:80\n');
    await truncate(file, 300 * 1024 * 1024);
    const r = await bounded(['analyze', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /over the 256 MiB a loose file may have/);
  });
  it('analyze: a loose YAML file over the 32 MiB manifest cap is refused before the YAML stack sees it', async () => {
    const file = join(dir, 'objects.yaml');
    const line = '  key: a value long enough to fill the file quickly, repeated\n';
    await writeFile(
      file,
      `apiVersion: v1\nkind: ConfigMap\ndata:\n${line.repeat(Math.ceil((33 << 20) / line.length))}`,
    );
    const r = await bounded(['analyze', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /objects\.yaml: YAML over 32 MiB, not read; give kubectl's JSON instead/);
  });
});
