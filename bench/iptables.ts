/**
 * SPEC.md bar: a 100,000-rule iptables-save file parsed and checked faster than `iptables-legacy-restore
 * --test` loading the same file. Both run in one go on the same file; prints the ratio.
 *   npm run bench:iptables        (SERVICES=… ENDPOINTS=… RUNS=… to vary; needs root for the scratch netns)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKubeProxyRuleset } from './gen-iptables.js';
import { median, runAnalyze, time } from './lib.js';

const SERVICES = Number(process.env.SERVICES ?? 10_000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 3);
const RUNS = Number(process.env.RUNS ?? 3);
// Every rule that reads iptables rules: the three iptables rules and the two that learn NodePorts from them.
const RULES = [
  'iptables-backend-split',
  'iptables-missing-chain',
  'kube-proxy-restore-failure',
  'source-port-is-nodeport',
  'ephemeral-range-overlaps-nodeports',
];

if (process.getuid?.() !== 0) {
  console.log('iptables benchmark skipped: iptables-legacy-restore --test needs root (a scratch network namespace)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'nd-bench-ipt-'));
const netns = `nd-bench-${process.pid}`;
try {
  const bundle = join(dir, 'bundle');
  const host = join(bundle, 'netns/host');
  mkdirSync(join(host, 'proc/net'), { recursive: true });
  const saved = join(host, 'iptables-legacy-save');
  writeFileSync(saved, generateKubeProxyRuleset(SERVICES, ENDPOINTS));
  writeFileSync(join(host, 'sysctl.txt'), 'net.ipv4.ip_local_port_range = 32768\t60999\n');
  writeFileSync(
    join(host, 'proc/net/tcp'),
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n',
  );
  const text = readFileSync(saved, 'utf8');
  const rules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
  console.log(
    `iptables: kube-proxy-style ruleset, ${SERVICES.toLocaleString('en-US')} Services × ${ENDPOINTS} endpoints = ${rules.toLocaleString('en-US')} rules, ${(text.length / 2 ** 20).toFixed(1)} MiB`,
  );

  if (spawnSync('ip', ['netns', 'add', netns]).status !== 0)
    throw new Error('cannot create a scratch network namespace');
  const restore = () => {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'iptables-legacy-restore', '--test'], { input: text });
    if (r.status !== 0) throw new Error(`iptables-legacy-restore --test: ${r.stderr}`);
  };
  const oursMs: number[] = [];
  const restoreMs: number[] = [];
  const traceMs: number[] = [];
  let rssKiB = 0;
  // issue 17's bar: one trace, parse included, against the same restore (a Service in the middle of the file)
  const svc = Math.floor(SERVICES / 2);
  const vip = `10.96.${(svc >> 8) & 255}.${svc & 255}`;
  const trace = () => {
    const r = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'run-cli.mjs'), 'trace', saved, '--to', `${vip}:80`, '--format', 'json'],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    if (r.status !== 0) throw new Error(`trace: ${r.stderr}`);
    const leaves = (JSON.parse(r.stdout) as { backends: { leaves: unknown[] }[] }).backends[0]?.leaves.length;
    if (leaves !== ENDPOINTS) throw new Error(`trace found ${leaves} endpoints, not ${ENDPOINTS}`);
  };
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(time(() => (rssKiB = Math.max(rssKiB, runAnalyze(bundle, RULES)))));
    restoreMs.push(time(restore));
    traceMs.push(time(trace));
  }
  const [o, r] = [median(oursMs), median(restoreMs)];
  console.log(
    `netdoctor analyze (whole CLI, parse + ${RULES.length} rules): ${o.toFixed(0)} ms median of ${RUNS}, peak RSS ${(rssKiB / 1024).toFixed(0)} MiB`,
  );
  console.log(`iptables-legacy-restore --test (same file, scratch netns): ${r.toFixed(0)} ms median of ${RUNS}`);
  console.log(`ratio: netdoctor is ${(r / o).toFixed(2)}× faster (bar: > 1×)`);
  const t = median(traceMs);
  console.log(
    `netdoctor trace --to ${vip}:80 (whole CLI, parse + walk): ${t.toFixed(0)} ms median → ${(r / t).toFixed(2)}× the restore (bar: > 1×)`,
  );
} finally {
  spawnSync('ip', ['netns', 'del', netns]);
  rmSync(dir, { recursive: true, force: true });
}
