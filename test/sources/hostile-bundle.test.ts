/**
 * Bundles from strangers: links, devices, FIFOs and bad manifests are refused by name, never followed or
 * read, and the rest of the bundle is still analysed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFixture, runCli, runJson } from '../helpers.js';

let dir: string;
let canary: string;
const CANARY = 'CANARY-9f1c2e-host-secret';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nd-hostile-'));
  canary = join(dir, 'host-secret.txt');
  await writeFile(canary, `net.ipv4.ip_local_port_range = 1024 65535\n${CANARY}\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

async function copyOf(name: string): Promise<string> {
  const b = join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  await cp(bundleFixture('exhaustion'), b, { recursive: true });
  return b;
}

describe('hostile bundle directories', () => {
  it('a symlink to a host file is refused by name; its content appears nowhere; the rest is analysed', async () => {
    const b = await copyOf('link');
    await rm(join(b, 'netns/host/proc/net/netstat'));
    await symlink(canary, join(b, 'netns/host/proc/net/netstat'));
    const r = await runCli(['analyze', b, '--format', 'json']);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(CANARY));
    const report = JSON.parse(r.stdout) as import('../../src/report/report.js').Report;
    assert.ok(
      report.problems.some(
        (p) => p.artefact === 'netns/host/proc/net/netstat' && /refused: .*a symbolic link/.test(p.reason),
      ),
    );
    assert.ok(
      report.findings.some((f) => f.rule === 'ephemeral-port-exhaustion'),
      'the socket table was still read',
    );
  });
  it('a link to /dev/zero, a FIFO and a device are refused at once (no hang, no flood)', async () => {
    const b = await copyOf('special');
    await rm(join(b, 'netns/host/proc/net/tcp'));
    await symlink('/dev/zero', join(b, 'netns/host/proc/net/tcp'));
    await rm(join(b, 'netns/host/proc/net/snmp'), { force: true });
    spawnSync('mkfifo', [join(b, 'netns/host/proc/net/snmp')]);
    const r = await runCli(['analyze', b, '--format', 'json']);
    const report = JSON.parse(r.stdout) as import('../../src/report/report.js').Report;
    assert.ok(report.problems.some((p) => p.artefact === 'netns/host/proc/net/tcp' && /symbolic link/.test(p.reason)));
    assert.ok(report.problems.some((p) => p.artefact === 'netns/host/proc/net/snmp' && /FIFO/.test(p.reason)));
  });
  it("netns/host as a link (to /proc/self or anywhere) is refused, not read as the analyst's own machine", async () => {
    const b = join(dir, 'proc-self');
    await mkdir(join(b, 'netns'), { recursive: true });
    await symlink('/proc/self', join(b, 'netns/host'));
    await mkdir(join(b, 'logs'));
    await writeFile(
      join(b, 'logs/kube-proxy.log'),
      'I1121 00:00:01.000000       1 proxier.go:820] "SyncProxyRules complete"\n',
    );
    const { report } = await runJson(['analyze', b]);
    assert.ok(
      report.problems.some(
        (p) => p.artefact === 'manifest.json' && /netns\/host: refused, not a directory/.test(p.reason),
      ),
    );
    assert.ok(!report.findings.some((f) => f.rule === 'ephemeral-port-exhaustion'));
  });
  it('a manifest.json field of the wrong type is a problem for that field; the rest is analysed', async () => {
    const b = await copyOf('manifest');
    await writeFile(
      join(b, 'manifest.json'),
      JSON.stringify({ schemaVersion: 1, hostname: 42, intervalMs: 'soon', netns: [{ id: 'host', isHost: true }] }),
    );
    const { code, report } = await runJson(['analyze', b]);
    assert.equal(code, 1);
    assert.ok(
      report.problems.some((p) => p.artefact === 'manifest.json' && /field "hostname": .*ignored/.test(p.reason)),
    );
    assert.ok(report.problems.some((p) => p.artefact === 'manifest.json' && /field "intervalMs"/.test(p.reason)));
    assert.ok(report.findings.some((f) => f.rule === 'ephemeral-port-exhaustion'));
  });
  it('a namespace directory whose name is no namespace id is refused', async () => {
    const b = await copyOf('ids');
    await mkdir(join(b, 'netns', 'bad name;$(x)'));
    const { report } = await runJson(['analyze', b]);
    assert.ok(report.problems.some((p) => /netns\/bad name;\$\(x\): refused, not a namespace id/.test(p.reason)));
  });
});

describe('hostile bundle archives', () => {
  const tarOf = (src: string, out: string) => assert.equal(spawnSync('tar', ['czf', out, '-C', src, '.']).status, 0);
  const tempDirs = () =>
    spawnSync('sh', ['-c', `ls -d ${tmpdir()}/netdoctor-bundle-* 2>/dev/null | wc -l`], {
      encoding: 'utf8',
    }).stdout.trim();

  it('links and special files inside an archive are refused by name; the rest is analysed', async () => {
    const src = await copyOf('tar-src');
    await symlink(canary, join(src, 'netns/host/sysctl-extra.txt'));
    await symlink('/etc/shadow', join(src, 'logs-link'));
    spawnSync('mkfifo', [join(src, 'fifo')]);
    const out = join(dir, 'links.tar.gz');
    tarOf(src, out);
    const r = await runCli(['analyze', out, '--format', 'json']);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(CANARY));
    const report = JSON.parse(r.stdout) as import('../../src/report/report.js').Report;
    assert.ok(
      report.problems.some(
        (p) => /sysctl-extra\.txt/.test(p.artefact) && /refused: a symboliclink entry/.test(p.reason),
      ),
      JSON.stringify(report.problems),
    );
    assert.ok(report.problems.some((p) => /fifo/.test(p.artefact) && /refused: a fifo entry/.test(p.reason)));
    assert.ok(report.findings.some((f) => f.rule === 'ephemeral-port-exhaustion'));
  });
  it('a truncated archive is exit 2 with a reason, never an internal error, and leaves no temporary directory', async () => {
    const src = await copyOf('trunc-src');
    await writeFile(
      join(src, 'filler.bin'),
      Buffer.alloc(200_000, 7).map((_, i) => (i * 7919) & 255),
    );
    const out = join(dir, 'full.tar.gz');
    tarOf(src, out);
    const cut = join(dir, 'cut.tar.gz');
    const { readFileSync } = await import('node:fs');
    const whole = readFileSync(out);
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const before = tempDirs();
    const r = await runCli(['analyze', cut]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netdoctor: .*cut\.tar\.gz: not a readable \.tar\.gz bundle/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(tempDirs(), before);
  });
  it('unpacking stops at the byte and entry limits while streaming (an archive bomb is not unpacked)', async () => {
    const { openBundle } = await import('../../src/sources/bundle/archive.js');
    const src = join(dir, 'bomb-src');
    await mkdir(join(src, 'netns/host'), { recursive: true });
    await writeFile(join(src, 'netns/host/sysctl.txt'), Buffer.alloc(3 * 1024 * 1024));
    await writeFile(join(src, 'netns/host/big.txt'), Buffer.alloc(2 * 1024 * 1024));
    const out = join(dir, 'bomb.tar.gz');
    tarOf(src, out);
    await assert.rejects(
      openBundle(out, { maxEntries: 1000, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 }),
      /more than .* unpacked/,
    );
    await assert.rejects(
      openBundle(out, { maxEntries: 2, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 }),
      /more than 2 entries/,
    );
    const b = await openBundle(out, {
      maxEntries: 1000,
      maxEntryBytes: 2.5 * 1024 * 1024,
      maxTotalBytes: 64 * 1024 * 1024,
    });
    try {
      assert.deepEqual(
        b.refused.map((r) => r.path.replace(/^\.\//, '')),
        ['netns/host/sysctl.txt'],
      );
    } finally {
      await b.cleanup();
    }
  });
});

describe('names from a bundle never reach a suggested command unless Kubernetes would allow them', () => {
  it('a Service whose name holds shell text is passed over, a valid one kept', async () => {
    const { addK8sJson, emptyClusterObjects } = await import('../../src/parsers/k8s-objects.js');
    const into = emptyClusterObjects();
    addK8sJson(
      into,
      JSON.stringify({
        kind: 'List',
        items: [
          {
            kind: 'Service',
            metadata: { name: 'web$(touch /tmp/x)', namespace: 'default' },
            spec: { clusterIP: '10.96.0.5', ports: [{ port: 80, protocol: 'TCP' }] },
          },
          {
            kind: 'Service',
            metadata: { name: 'web', namespace: 'default' },
            spec: { clusterIP: '10.96.0.6', ports: [{ port: 80, protocol: 'TCP' }] },
          },
        ],
      }),
      'k8s/x.json',
    );
    assert.deepEqual(
      into.services.map((s) => s.name),
      ['default/web'],
    );
  });
});
