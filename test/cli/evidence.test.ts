/** The CLI's honesty about what it read: exit 2 when nothing was, the kinds it assumed, bundles of any part. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFixture, FIXTURES, runCli, runJson } from '../helpers.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-cli-evidence-'))));
after(() => rm(dir, { recursive: true, force: true }));

describe('lint with nothing to lint', () => {
  it('empty stdin, an empty directory: exit 2, saying nothing was linted', async () => {
    const empty = await runCli(['lint', '-'], { stdin: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no Kubernetes documents in the input .*nothing was linted/);
    await mkdir(join(dir, 'none'));
    const none = await runCli(['lint', join(dir, 'none')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no manifest files .* found; nothing was linted/);
  });
  it('documents without a pod template: said plainly, never "No problems found"; SARIF carries a notification', async () => {
    const cm =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: y}\n';
    const text = await runCli(['lint', '-'], { stdin: cm });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /note: 2 documents read \(ConfigMap, Service\), none with a pod template/);
    assert.match(text.stdout, /^Nothing to lint: no workload \(pod template\) in the input\.$/m);
    assert.doesNotMatch(text.stdout, /No problems found/);
    const sarif = JSON.parse((await runCli(['lint', '-', '--format', 'sarif'], { stdin: cm })).stdout) as {
      runs: { invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[];
    };
    assert.ok(
      sarif.runs[0]?.invocations[0]?.toolExecutionNotifications.some(
        (n) => n.level === 'warning' && /none with a pod template/.test(n.message.text),
      ),
    );
  });
  it('a kustomize patch fragment with initContainers is linted, not skipped', async () => {
    const patch =
      'spec:\n  template:\n    spec:\n      hostNetwork: true\n      initContainers:\n      - name: sysctl\n        image: busybox\n        securityContext: {privileged: true}\n        command: ["sysctl", "-w", "net.ipv4.ip_local_port_range=1024 65535"]\n';
    const r = await runCli(['lint', '-', '--format', 'json'], { stdin: patch });
    const findings = (JSON.parse(r.stdout) as { findings: { rule: string; subject: { kind: string } }[] }).findings;
    assert.ok(findings.some((f) => f.rule === 'node-sysctl-from-pod' && f.subject.kind === 'patch'));
  });
  it('privileged writes to node-wide parameters from a pod without hostNetwork change the node', async () => {
    const ds =
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: tune}\nspec:\n  template:\n    spec:\n      containers:\n      - name: t\n        image: busybox\n        securityContext: {privileged: true}\n        command: ["sh", "-c", "echo 262144 > /sys/module/nf_conntrack/parameters/hashsize; echo 1048576 > /proc/sys/net/netfilter/nf_conntrack_max"]\n';
    const r = await runCli(['lint', '-', '--format', 'json'], { stdin: ds });
    const [f, ...rest] = (
      JSON.parse(r.stdout) as { findings: { rule: string; subject: { sysctl: string }; remediation: string }[] }
    ).findings;
    assert.equal(rest.length, 0, 'only node-sysctl-from-pod: a guard cannot help here');
    assert.equal(f?.rule, 'node-sysctl-from-pod');
    assert.equal(f?.subject.sysctl, '/sys/module/nf_conntrack/parameters/hashsize,net.netfilter.nf_conntrack_max');
    assert.match(f?.remediation ?? '', /no guard or pod setting can confine them/);
  });
});

describe('node and analyze inputs', () => {
  it('--kube-proxy-log naming a file that does not exist is a usage error', async () => {
    const r = await runCli(['node', '--netns', 'self', '--interval', '0', '--kube-proxy-log', join(dir, 'nope.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--kube-proxy-log .*nope\.log: no such file/);
  });
  it('a bundle of only logs/ (or only k8s/) is analysed against an implied host namespace', async () => {
    await mkdir(join(dir, 'logs-only/logs'), { recursive: true });
    await writeFile(
      join(dir, 'logs-only/logs/kube-proxy.log'),
      "E1121 00:00:02.000000       1 proxier.go:1413] Failed to execute iptables-restore: exit status 2 (iptables-restore v1.8.9 (legacy): Couldn't load target `KUBE-MARK-DROP':No such file or directory)\n",
    );
    const { code, report } = await runJson(['analyze', join(dir, 'logs-only')]);
    assert.equal(code, 1);
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.subject.netns]),
      [['kube-proxy-restore-failure', 'host']],
    );
    assert.equal(report.coverage?.complete, false);
    await mkdir(join(dir, 'k8s-only/k8s'), { recursive: true });
    await writeFile(join(dir, 'k8s-only/k8s/services.json'), '{"apiVersion":"v1","kind":"List","items":[]}');
    const k8s = await runCli(['analyze', join(dir, 'k8s-only')]);
    assert.equal(k8s.code, 2, 'no rule reads only Services yet: nothing could be checked');
    assert.match(k8s.stderr, /nothing could be checked/);
  });
  it('loose files: the kind assumed is said; --as overrides it; an unknown kind asks for --as', async () => {
    await writeFile(join(dir, 'range.txt'), '1024 65535\n');
    const { report } = await runJson(['analyze', join(dir, 'range.txt')]);
    assert.ok(
      report.notes?.some((n) =>
        n.endsWith(
          'range.txt read as ip_local_port_range (two port numbers on one line (the contents of ip_local_port_range))',
        ),
      ),
    );
    assert.ok(
      report.findings.some(
        (f) =>
          f.rule === 'ephemeral-range-overlaps-nodeports' &&
          f.evidence.some((e) => e.detail === 'net.ipv4.ip_local_port_range = 1024 65535'),
      ),
    );
    await writeFile(join(dir, 'mystery.txt'), 'hello\n');
    const mystery = await runCli(['analyze', join(dir, 'mystery.txt'), join(dir, 'range.txt')]);
    assert.match(mystery.stdout, /mystery\.txt: could not tell what this file is; name its kind with --as KIND/);
    const as = await runJson(['analyze', '--as', 'ipvsadm-Ln', join(FIXTURES, 'corpus', 'ipvsadm-81775.txt')]);
    assert.ok(as.report.notes?.some((n) => /read as ipvsadm-Ln \(--as\)/.test(n)));
  });
  it('a bundle directory with the new artefacts: netns/host/ss-tan, netstat-s and proc/sys/… single files', async () => {
    const b = join(dir, 'new-layout/netns/host');
    await mkdir(join(b, 'proc/sys/net/ipv4'), { recursive: true });
    await writeFile(join(b, 'proc/sys/net/ipv4/ip_local_port_range'), '40000\t40003\n');
    await writeFile(
      join(b, 'ss-tan'),
      [
        'State Recv-Q Send-Q Local Address:Port Peer Address:Port',
        ...[0, 1, 2, 3].map((i) => `ESTAB 0 0 10.0.0.1:4000${i} 10.96.0.10:443`),
      ].join('\n') + '\n',
    );
    await writeFile(join(b, 'netstat-s'), 'TcpExt:\n    9 times the listen queue of a socket overflowed\n');
    const { report } = await runJson(['analyze', join(dir, 'new-layout')]);
    const [f] = report.findings.filter((x) => x.rule === 'ephemeral-port-exhaustion');
    assert.deepEqual(
      [f?.severity, f?.subject.used, f?.subject.usable, f?.subject.remoteIp],
      ['error', 4, 4, '10.96.0.10'],
    );
    assert.ok(report.findings.some((x) => x.rule === 'listen-queue-overflow'));
  });
  it('a FIFO named as a loose file is refused, never read', async () => {
    const { spawnSync } = await import('node:child_process');
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const r = await runCli(['analyze', fifo]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a regular file/);
  });
  it('bundles written by 0.1.0 read their "no IPVS" problem as an absence: the IPVS rules do not apply, and are not listed as unchecked', async () => {
    const { report } = await runJson(['analyze', bundleFixture('overlap')]);
    const ipvs = report.skipped.filter((s) => s.rule.startsWith('ipvs-'));
    assert.ok(ipvs.length > 0 && ipvs.every((s) => s.notApplicable === true));
  });
});

describe('collect -o never writes through a link and never leaves a partial file', () => {
  it('a symlink at the output path is refused before anything is sampled; its target is untouched', async () => {
    const { symlink, readFile } = await import('node:fs/promises');
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'precious\n');
    await symlink(victim, join(dir, 'out.tar.gz'));
    const r = await runCli(['collect', '--netns', 'self', '--interval', '0', '-o', join(dir, 'out.tar.gz')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is a symbolic link; refusing to write through it/);
    assert.equal(await readFile(victim, 'utf8'), 'precious\n');
  });
  it('a missing directory is said up front (exit 2, not an internal error)', async () => {
    const r = await runCli(['collect', '--netns', 'self', '--interval', '0', '-o', join(dir, 'no/such/dir/x.tar.gz')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not exist; create it first/);
  });
  it('a directory output with something planted in it is refused', async () => {
    const { symlink } = await import('node:fs/promises');
    await mkdir(join(dir, 'planted'));
    await symlink('/etc/passwd', join(dir, 'planted', 'manifest.json'));
    const r = await runCli(['collect', '--netns', 'self', '--interval', '0', '-o', join(dir, 'planted') + '/']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists and is not empty/);
  });
});

describe('shapes that hold nothing a rule can judge are named, with what to send instead', () => {
  it('iptables -L and ss -s: recognised, refused with advice; exit 2 names the file', async () => {
    await writeFile(
      join(dir, 'iptables-L.txt'),
      'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n\nChain KUBE-SERVICES (2 references)\n',
    );
    const r = await runCli(['analyze', join(dir, 'iptables-L.txt')]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /iptables-L\.txt: iptables -L output: .*send `iptables-legacy-save` and `iptables-nft-save`/,
    );
    await writeFile(
      join(dir, 'ss-s.txt'),
      'Total: 172\nTCP:   14 (estab 5, closed 1, orphaned 0, timewait 1)\n\nTransport Total     IP        IPv6\nTCP\t  13        10        3\n',
    );
    const s = await runCli(['analyze', join(dir, 'ss-s.txt')]);
    assert.match(s.stderr, /ss-s\.txt: `ss -s` gives totals only; send `ss -tan`/);
  });
  it('ipvsadm -Lnc under its title is read as such, and exit 2 says it was read but cannot be judged alone', async () => {
    await writeFile(
      join(dir, 'lnc.txt'),
      'IPVS connection entries\npro expire state       source             virtual            destination\nTCP 14:58  ESTABLISHED 10.244.3.5:45678   10.96.0.100:80     10.244.1.2:8080\n',
    );
    const r = await runCli(['analyze', join(dir, 'lnc.txt')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /lnc\.txt read as ipvsadm-Lnc, but no rule can judge that alone/);
  });
});
