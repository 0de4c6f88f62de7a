/**
 * A pod cannot make `node` or `collect`, running as root on the host, read a host file. The "pod" is a
 * real process in a chroot, in a network namespace, in a kubepods cgroup, whose service-account namespace
 * file is a symbolic link to an absolute path: inside the pod that path holds "podns"; on the host the same
 * path holds a canary. The canary must appear in neither the report nor the bundle; the in-root answer may.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers.js';
import { scenarioSkipReason, withNetns } from './netns.js';

const CGROUP_ROOT = '/sys/fs/cgroup/pids';
const skip =
  scenarioSkipReason() ??
  (statSync(CGROUP_ROOT, { throwIfNoEntry: false })?.isDirectory()
    ? undefined
    : `needs a cgroup v1 pids hierarchy at ${CGROUP_ROOT} to place the "pod" in a kubepods cgroup`);

/** A root holding `sleep` and the libraries it needs, as an image would. */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'nd-podroot-'));
  const sleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();
  const libs = spawnSync('ldd', [sleep], { encoding: 'utf8' }).stdout.match(/\/\S+/g) ?? [];
  for (const file of [sleep, ...libs]) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    cpSync(file, join(root, file), { dereference: true });
  }
  return root;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("scenario: a hostile pod's files", { skip }, () => {
  for (const variant of ['absolute link to a host file', 'a FIFO'] as const) {
    it(`service-account namespace as ${variant}: no host file is read, nothing hangs`, () =>
      withNetns(['podroot'], async (ns) => {
        const root = makeRoot();
        const tag = `${process.pid}${Date.now() % 100000}`;
        const hostPath = `/tmp/nd-canary-${tag}`;
        const canary = `canary${tag}`; // a valid namespace name, so only the path can keep it out
        writeFileSync(hostPath, `${canary}\n`);
        const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
        mkdirSync(sa, { recursive: true });
        if (variant === 'a FIFO') spawnSync('mkfifo', [join(sa, 'namespace')]);
        else {
          symlinkSync(hostPath, join(sa, 'namespace')); // absolute: the host's view would read the canary
          mkdirSync(join(root, 'tmp'), { recursive: true });
          writeFileSync(join(root, hostPath), 'podns\n'); // what the pod itself sees at that path
        }
        const uid = `0000${tag}`.slice(-8);
        const cgroup = join(
          CGROUP_ROOT,
          'kubepods',
          `pod${uid}-1111-2222-3333-444455556666`,
          `abcdef${tag}`.padEnd(16, '0'),
        );
        let child: ChildProcess | undefined;
        const bundle = mkdtempSync(join(tmpdir(), 'nd-podroot-bundle-'));
        try {
          mkdirSync(cgroup, { recursive: true });
          const sleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();
          child = spawn('ip', ['netns', 'exec', ns.name, 'chroot', root, sleep, '120'], {
            env: { PATH: process.env.PATH, HOSTNAME: 'mypod' },
            stdio: 'ignore',
          });
          await new Promise((r) => setTimeout(r, 300));
          const pid = spawnSync('pgrep', ['-f', `${sleep} 120`, '-n'], { encoding: 'utf8' }).stdout.trim();
          writeFileSync(join(cgroup, 'cgroup.procs'), pid);

          const report = await runCli([
            'node',
            '--netns',
            pid,
            '--interval',
            '0',
            '--format',
            'json',
            '--timeout',
            '30s',
          ]);
          const collected = await runCli([
            'collect',
            '--netns',
            pid,
            '--interval',
            '0',
            '--timeout',
            '30s',
            '-o',
            join(bundle, 'b') + '/',
          ]);
          assert.equal(collected.code, 0, collected.stderr);
          assert.ok(!(report.stdout + report.stderr).includes(canary), 'the canary is not in the report');
          for (const f of walk(bundle))
            assert.ok(!readFileSync(f, 'latin1').includes(canary), `the canary is not in ${f}`);
          const manifest = JSON.parse(readFileSync(join(bundle, 'b/manifest.json'), 'utf8')) as {
            netns: { pod?: string; namespace?: string; podUid?: string }[];
          };
          const pod = manifest.netns.find((m) => m.pod === 'mypod');
          assert.ok(pod, `the pod was identified: ${JSON.stringify(manifest.netns)}`);
          assert.equal(
            pod.namespace,
            variant === 'a FIFO' ? undefined : 'podns',
            'the link was resolved as the pod sees it',
          );
        } finally {
          child?.kill('SIGKILL');
          spawnSync('pkill', ['-KILL', '-f', `${root}`]);
          await new Promise((r) => setTimeout(r, 200));
          spawnSync('rmdir', [cgroup, dirname(cgroup)]); // cgroup directories go with rmdir, emptied of tasks
          spawnSync('rmdir', [join(CGROUP_ROOT, 'kubepods')]);
          rmSync(root, { recursive: true, force: true });
          rmSync(bundle, { recursive: true, force: true });
          rmSync(hostPath, { force: true });
        }
      }));
  }
});
