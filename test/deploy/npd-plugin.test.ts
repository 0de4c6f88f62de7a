/** The node-problem-detector plugin under the shells NPD images have (dash, busybox sh): NPD's exit codes, ≤ 80 bytes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers.js';

const PLUGIN = join(ROOT, 'deploy/components/node-problem-detector/netdoctor-status.sh');
const dir = mkdtempSync(join(tmpdir(), 'nd-npd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'status'));
const status = (name: string, text: string) => writeFileSync(join(dir, 'status', name), text);

const shells = [['dash'], ['busybox', 'sh']].filter(
  ([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0,
);

for (const shell of shells) {
  describe(`NPD plugin under ${shell.join(' ')}`, () => {
    const run = (type: string) =>
      spawnSync(shell[0] ?? 'sh', [...shell.slice(1), PLUGIN, type], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NETDOCTOR_STATUS_DIR: join(dir, 'status') },
      });
    it('1 with the message for a problem, cut to 80 bytes', () => {
      status('EphemeralPortsExhausted', `1\nEphemeralPortExhaustion: ${'→'.repeat(60)}\n`);
      const r = run('EphemeralPortsExhausted');
      assert.equal(r.status, 1);
      assert.ok(Buffer.byteLength(r.stdout.replace(/\n$/, '')) <= 80);
      assert.match(r.stdout, /^EphemeralPortExhaustion: \n$/, 'the non-ASCII arrows are dropped, not cut in half');
    });
    it('0 when clear, 2 when unknown', () => {
      status('IptablesBackendSplit', '0\nIptablesBackendsConsistent: found nothing\n');
      assert.equal(run('IptablesBackendSplit').status, 0);
      status('KubeProxyRulesFailing', '2\nNotChecked: logs/kube-proxy.log not read\n');
      assert.equal(run('KubeProxyRulesFailing').status, 2);
    });
    it('2 when the agent never wrote it, wrote it long ago, wrote garbage, or the name is not a type', () => {
      assert.equal(run('ConntrackTablePressure').status, 2);
      status('ListenQueueOverflowing', '0\nListenQueuesKeepingUp\n');
      const old = new Date(Date.now() - 3_600_000);
      utimesSync(join(dir, 'status', 'ListenQueueOverflowing'), old, old);
      const stale = run('ListenQueueOverflowing');
      assert.equal(stale.status, 2);
      assert.match(stale.stdout, /stale/);
      status('TimeWaitRecycleBehindNAT', 'rm -rf /\n');
      assert.equal(run('TimeWaitRecycleBehindNAT').status, 2);
      assert.equal(run('../../etc/passwd').status, 2);
    });
    it('a link planted in place of a status file is not followed', () => {
      writeFileSync(join(dir, 'secret'), '1\nsecret contents\n');
      try {
        symlinkSync(join(dir, 'secret'), join(dir, 'status', 'IPVSStaleRealServers'));
      } catch {
        // already planted by the other shell's run
      }
      const r = run('IPVSStaleRealServers');
      assert.equal(r.status, 2);
      assert.doesNotMatch(r.stdout, /secret/);
    });
  });
}
