/**
 * The kube-proxy side of collection on real file trees: a process directory shaped like /proc/<pid> whose
 * root holds an image's iptables symlinks, and a /var/log laid out as kubelet keeps container logs.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeKubeProxy, findKubeProxyLog, iptablesChain, tailFile } from '../../src/sources/host/kube-proxy.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nd-kp-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function image(name: string, links: [string, string][]): Promise<string> {
  const root = join(dir, name);
  for (const [path, target] of links) {
    await mkdir(join(root, path, '..'), { recursive: true });
    if (target === 'FILE') await writeFile(join(root, path), '\x7fELF');
    else await symlink(target, join(root, path));
  }
  return root;
}

describe('kube-proxy process', () => {
  it('follows the iptables symlinks inside the image root, absolute targets included', async () => {
    const root = await image('debian', [
      ['usr/sbin/iptables', '/etc/alternatives/iptables'],
      ['etc/alternatives/iptables', '/usr/sbin/iptables-legacy'],
      ['usr/sbin/iptables-legacy', 'xtables-legacy-multi'],
      ['usr/sbin/xtables-legacy-multi', 'FILE'],
    ]);
    assert.deepEqual(await iptablesChain(root), [
      '/usr/sbin/iptables',
      '/etc/alternatives/iptables',
      '/usr/sbin/iptables-legacy',
      'xtables-legacy-multi',
    ]);
  });

  it('describes the process found by its name in a /proc-shaped tree', async () => {
    const root = await image('wrapper', [
      ['usr/sbin/iptables', 'iptables-wrapper'],
      ['usr/sbin/iptables-wrapper', 'FILE'],
    ]);
    const proc = join(dir, 'proc');
    await mkdir(join(proc, '17'), { recursive: true });
    await writeFile(join(proc, '17/comm'), 'bash\n');
    await mkdir(join(proc, '4242'), { recursive: true });
    await writeFile(join(proc, '4242/comm'), 'kube-proxy\n');
    await writeFile(join(proc, '4242/cmdline'), '/usr/local/bin/kube-proxy\0--proxy-mode=iptables\0');
    await writeFile(join(proc, '4242/cgroup'), '0::/system.slice/kube-proxy.service\n');
    await symlink(root, join(proc, '4242/root'));
    assert.equal(
      await describeKubeProxy(proc),
      'pid: 4242\ncommand: /usr/local/bin/kube-proxy --proxy-mode=iptables\niptables: /usr/sbin/iptables -> iptables-wrapper\nbackend: wrapper\n',
    );
  });

  it('no kube-proxy process → undefined', async () => {
    const proc = join(dir, 'empty-proc');
    await mkdir(join(proc, '1'), { recursive: true });
    await writeFile(join(proc, '1/comm'), 'systemd\n');
    assert.equal(await describeKubeProxy(proc), undefined);
  });

  it('a later scan reads the comm of new processes only, and finds a kube-proxy that started meanwhile', async () => {
    const proc = join(dir, 'churn-proc');
    await mkdir(join(proc, '1'), { recursive: true });
    await writeFile(join(proc, '1/comm'), 'systemd\n');
    assert.equal(await describeKubeProxy(proc), undefined);
    // pid 1 was read once and is something else: a changed comm there goes unseen until the full rescan
    await writeFile(join(proc, '1/comm'), 'kube-proxy\n');
    await mkdir(join(proc, '900'), { recursive: true });
    await writeFile(join(proc, '900/comm'), 'kube-proxy\n');
    assert.match((await describeKubeProxy(proc)) ?? '', /^pid: 900\n/);
  });

  it('a pid taken over by kube-proxy between scans is found by the full rescan within ten scans', async () => {
    const proc = join(dir, 'reuse-proc');
    await mkdir(join(proc, '5'), { recursive: true });
    await writeFile(join(proc, '5/comm'), 'sleep\n');
    assert.equal(await describeKubeProxy(proc), undefined);
    await writeFile(join(proc, '5/comm'), 'kube-proxy\n');
    let found: string | undefined;
    let scans = 0;
    while (!found && scans < 10) {
      found = await describeKubeProxy(proc);
      scans++;
    }
    assert.match(found ?? '', /^pid: 5\n/);
    assert.ok(scans > 1, 'the first scans trust what they read before');
  });
});

describe('kube-proxy log', () => {
  it('the newest kube-proxy pod log under pods/, else containers/', async () => {
    const logs = join(dir, 'var-log');
    const old = join(logs, 'pods/kube-system_kube-proxy-abcde_1111/kube-proxy');
    const cur = join(logs, 'pods/kube-system_kube-proxy-fghij_2222/kube-proxy');
    await mkdir(old, { recursive: true });
    await mkdir(cur, { recursive: true });
    await writeFile(join(old, '0.log'), 'old\n');
    await writeFile(join(cur, '0.log'), 'current\n');
    await writeFile(join(cur, '0.log.20261120-010101.gz'), 'rotated');
    await utimes(join(old, '..'), new Date(1000), new Date(1000));
    assert.equal(await findKubeProxyLog(logs), join(cur, '0.log'));
    const bare = join(dir, 'var-log-2');
    await mkdir(join(bare, 'containers'), { recursive: true });
    const c = join(bare, 'containers/kube-proxy-x7k2p_kube-system_kube-proxy-0123abcd.log');
    await writeFile(c, 'x\n');
    assert.equal(await findKubeProxyLog(bare), c);
    assert.equal(await findKubeProxyLog(join(dir, 'nowhere')), undefined);
  });

  it('tail keeps whole lines only', async () => {
    const f = join(dir, 'big.log');
    await writeFile(f, 'first line\nsecond line\nthird line\n');
    assert.equal(tailFile(f, 15), 'third line\n');
    assert.equal(tailFile(f, 1000), 'first line\nsecond line\nthird line\n');
  });
});
