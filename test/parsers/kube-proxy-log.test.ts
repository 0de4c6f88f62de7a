import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backendOfBinary, parseIptablesVersion, parseKubeProxyInfo } from '../../src/parsers/kube-proxy-info.js';
import { parseKubeProxyLog } from '../../src/parsers/kube-proxy-log.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { FIXTURES, nonEmpty } from '../helpers.js';

/** Real stderr of iptables 1.8.9 here, when the chain a restore jumps to lives in the other backend. */
const LEGACY_STDERR = [
  "iptables-restore v1.8.9 (legacy): Couldn't load target `KUBE-MARK-DROP':No such file or directory",
  '',
  'Error occurred at line: 16',
  "Try `iptables-restore -h' or 'iptables-restore --help' for more information.",
];
const NFT_STDERR = [
  "iptables-nft-restore v1.8.9 (nf_tables): Chain 'KUBE-MARK-DROP' does not exist",
  'Error occurred at line: 19',
  "Try `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.",
];
const IP6_STDERR = [
  "ip6tables-restore v1.8.9 (legacy): Couldn't load target `KUBE-MARK-DROP':No such file or directory",
  '',
  'Error occurred at line: 3',
];

describe('kube-proxy log parser', () => {
  it('CRI container log (kube-proxy 1.13 framing of real stderr): the failure, chain, backend, input line, version, mode', () => {
    const log = parseKubeProxyLog(readFileSync(join(FIXTURES, 'iptables/kube-proxy-1.13.log'), 'utf8'));
    assert.equal(log.lines, 7);
    assert.deepEqual(log.failureCounts, { 'iptables-restore': 1 });
    const [f] = nonEmpty(log.failures);
    assert.deepEqual(
      { command: f.command, backend: f.backend, chain: f.chain, inputLine: f.inputLine, exitStatus: f.exitStatus },
      { command: 'iptables-restore', backend: 'legacy', chain: 'KUBE-MARK-DROP', inputLine: 16, exitStatus: 2 },
    );
    assert.deepEqual(
      f.lines.map((l) => l.line),
      [3, 4, 5, 6, 7],
    );
    assert.equal(log.version?.value, 'v1.13.10');
    assert.equal(log.mode?.value, 'iptables');
    assert.match(log.firstTime!, /^\d{4}-\d\d-\d\dT/);
  });

  it('structured klog (err=< … >) in journald text, nf_tables flavour', () => {
    const text = [
      'Nov 21 00:53:40 node-1 kube-proxy[812]: I1121 00:53:40.000001     812 server.go:865] "Version info" version="v1.24.3"',
      'Nov 21 00:53:40 node-1 kube-proxy[812]: I1121 00:53:40.000002     812 server_others.go:206] "Using iptables Proxier"',
      'Nov 21 00:53:42 node-1 kube-proxy[812]: E1121 00:53:42.123456     812 proxier.go:1523] "Failed to execute iptables-restore" err=<',
      ...NFT_STDERR.map((l) =>
        `Nov 21 00:53:42 node-1 kube-proxy[812]:         exit status 2: ${l}`
          .replace('exit status 2: Error', 'Error')
          .replace('exit status 2: Try', 'Try'),
      ),
      'Nov 21 00:53:42 node-1 kube-proxy[812]:  >',
      'Nov 21 00:53:42 node-1 kube-proxy[812]: I1121 00:53:42.123500     812 proxier.go:1526] "Closing local ports after iptables-restore failure"',
    ].join('\n');
    const log = parseKubeProxyLog(text, 'journal');
    assert.equal(log.failures.length, 1);
    const [f] = nonEmpty(log.failures);
    assert.deepEqual(
      { backend: f.backend, chain: f.chain, inputLine: f.inputLine, exitStatus: f.exitStatus, time: f.time },
      { backend: 'nf_tables', chain: 'KUBE-MARK-DROP', inputLine: 19, exitStatus: 2, time: 'Nov 21 00:53:42' },
    );
    assert.equal(f.lines.length, 5, 'the entry ends where the next klog entry starts');
    assert.equal(log.version?.value, 'v1.24.3');
  });

  it('docker json-file lines, an IPv6 restore, and repeated failures counted', () => {
    const entry = (t: string, s: string) => JSON.stringify({ log: s + '\n', stream: 'stderr', time: t });
    const one = (t: string) => [
      entry(
        t,
        `E1121 00:53:42.1       1 proxier.go:1413] Failed to execute iptables-restore: exit status 2 (${IP6_STDERR[0]}`,
      ),
      ...IP6_STDERR.slice(1).map((l) => entry(t, l)),
      entry(t, ')'),
    ];
    const log = parseKubeProxyLog(
      [...one('2026-11-21T00:00:01Z'), ...one('2026-11-21T00:00:31Z'), ...one('2026-11-21T00:01:01Z')].join('\n'),
      'docker',
    );
    assert.deepEqual(log.failureCounts, { 'ip6tables-restore': 3 });
    assert.equal(log.failures[2]?.time, '2026-11-21T00:01:01Z');
    assert.equal(log.firstTime, '2026-11-21T00:00:01Z');
    assert.equal(log.lastTime, '2026-11-21T00:01:01Z');
  });

  it('CRI partial (P) pieces are glued back before matching', () => {
    const t = '2026-11-21T00:53:42.000000000Z stderr';
    const text = [
      `${t} P E1121 00:53:42.1       1 proxier.go:1413] Failed to execute iptables-restore: exit status 2 (iptables-restore v1.8.9 (legacy): Couldn't load target \`KUBE-MA`,
      `${t} F RK-DROP':No such file or directory`,
    ].join('\n');
    assert.equal(parseKubeProxyLog(text).failures[0]?.chain, 'KUBE-MARK-DROP');
  });

  it('the old "line N failed" form', () => {
    const log = parseKubeProxyLog(
      'E0621 10:12:13.123456       1 proxier.go:1510] Failed to execute iptables-restore: exit status 1 (iptables-restore: line 7 failed\n)\n',
    );
    assert.deepEqual(
      { inputLine: log.failures[0]?.inputLine, exitStatus: log.failures[0]?.exitStatus, chain: log.failures[0]?.chain },
      { inputLine: 7, exitStatus: 1, chain: undefined },
    );
  });

  it('a healthy log has no failures', () => {
    const log = parseKubeProxyLog(
      'I1121 00:53:40.000001       1 proxier.go:820] "SyncProxyRules complete" elapsed="12ms"\n',
    );
    assert.equal(log.failures.length, 0);
    assert.deepEqual(log.failureCounts, {});
  });

  it('a broken docker JSON line is a ParseError with the line', () => {
    assert.throws(
      () => parseKubeProxyLog('ok\n{"log": "x"\n', 'l'),
      (e: unknown) => e instanceof ParseError && e.line === 2,
    );
  });
});

describe('kube-proxy info and iptables -V', () => {
  it('host/kube-proxy: backend, version from the image, mode from the command line', () => {
    const info = parseKubeProxyInfo(
      'pid: 812\ncommand: /usr/local/bin/kube-proxy --proxy-mode=ipvs --config=/var/lib/kube-proxy/config.conf\niptables: /usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-legacy -> xtables-legacy-multi\nbackend: legacy\nimage: registry.k8s.io/kube-proxy:v1.13.10\n',
    );
    assert.deepEqual(
      { pid: info.pid, backend: info.backend, version: info.version, mode: info.mode },
      { pid: 812, backend: 'legacy', version: 'v1.13.10', mode: 'ipvs' },
    );
    assert.equal(info.lines.get('iptables')?.line, 3);
  });
  it('a hand-written one-liner, and a bad backend', () => {
    assert.equal(parseKubeProxyInfo('backend: nf_tables\n').backend, 'nft');
    assert.throws(() => parseKubeProxyInfo('backend: iptables\n'), ParseError);
  });
  it('iptables -V of each era', () => {
    assert.equal(parseIptablesVersion('iptables v1.8.9 (nf_tables)\n').backend, 'nft');
    assert.equal(parseIptablesVersion('iptables v1.8.4 (legacy)\n').backend, 'legacy');
    assert.equal(parseIptablesVersion('iptables v1.6.1\n').backend, 'legacy');
    assert.throws(() => parseIptablesVersion('command not found'), ParseError);
  });
  it('the binary at the end of a symlink chain names the backend', () => {
    assert.equal(backendOfBinary('xtables-nft-multi'), 'nft');
    assert.equal(backendOfBinary('xtables-legacy-multi'), 'legacy');
    assert.equal(backendOfBinary('xtables-multi'), 'legacy');
    assert.equal(backendOfBinary('iptables-wrapper'), 'wrapper');
    assert.equal(backendOfBinary('iptables'), undefined);
  });
});

describe('kube-proxy log: kubectl logs --timestamps', () => {
  it('each timestamped line starts its own entry: two failures are two', () => {
    const log = parseKubeProxyLog(
      [
        '2023-02-01T10:00:00.123456789Z I0201 10:00:00.123456       1 server_others.go:69] "Using iptables proxy"',
        '2023-02-01T10:00:01.123456789Z E0201 10:00:01.123456       1 proxier.go:1484] "Failed to execute iptables-restore" err="exit status 1 (iptables-restore: line 1193 failed\\n)"',
        '2023-02-01T10:00:31.123456789Z E0201 10:00:31.123456       1 proxier.go:1484] "Failed to execute iptables-restore" err="exit status 1 (iptables-restore: line 1193 failed\\n)"',
      ].join('\n'),
    );
    assert.equal(log.failureCounts['iptables-restore'], 2);
    assert.equal(log.failures[1]?.time, '2023-02-01T10:00:31.123456789Z');
    assert.equal(log.mode?.value, 'iptables');
  });
});
