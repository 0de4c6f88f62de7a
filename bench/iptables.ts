/**
 * iptables (SPEC.md bar, issue 18's table): kube-proxy-style rulesets of 10,000 and 30,000 Services × 3
 * endpoints (112,015 and 336,015 rules) parsed and judged by the five rules that read them, against
 * `iptables-legacy-restore --test` loading the same file; and one `netdoctor trace` (issue 17's bar) on the
 * same file. Runs alternate; CPU-time medians, peak RSS. Every run's findings are checked: the node's
 * ephemeral range is set to 1024-65000, so the NodePorts the ruleset holds (every fifth Service, 2,767 at
 * most) overlap it and must all be counted; the trace must reach every endpoint of its Service.
 *   npm run bench:iptables        (SERVICES=10000,30000 ENDPOINTS=… RUNS=… to vary; needs root for the scratch netns)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKubeProxyRuleset } from './gen-iptables.js';
import { measure, netdoctor, printHeader, printRow, settle, sideBySide, sizes, type Measured } from './lib.js';

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

interface Report {
  findings: { rule: string; subject: { serviceNodePorts?: number } }[];
  backends?: { leaves: unknown[] }[];
}

/** `nodePorts`: the distinct NodePorts in the file, counted by a regular expression over its KUBE-NODEPORTS rules. */
function checkAnalyze(nodePorts: number) {
  return (r: Measured) => {
    const findings = (JSON.parse(r.stdout) as Report).findings;
    const overlap = findings.filter((f) => f.rule === 'ephemeral-range-overlaps-nodeports');
    if (overlap.length !== 1 || overlap[0]?.subject.serviceNodePorts !== nodePorts)
      throw new Error(`overlap finding ${JSON.stringify(overlap)}; the ruleset holds ${nodePorts} NodePorts`);
    const others = findings.filter((f) => f.rule !== 'ephemeral-range-overlaps-nodeports');
    if (others.length > 0) throw new Error(`unexpected findings on a consistent ruleset: ${JSON.stringify(others)}`);
  };
}

function checkTrace(r: Measured) {
  const leaves = (JSON.parse(r.stdout) as Report).backends?.[0]?.leaves.length;
  if (leaves !== ENDPOINTS) throw new Error(`trace found ${leaves} endpoints, not ${ENDPOINTS}`);
}

if (process.getuid?.() !== 0) {
  console.log('iptables benchmark skipped: iptables-legacy-restore --test needs root (a scratch network namespace)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'nd-bench-ipt-'));
const netns = `nd-bench-${process.pid}`;
try {
  if (spawnSync('ip', ['netns', 'add', netns]).status !== 0)
    throw new Error('cannot create a scratch network namespace');
  const restore = (file: string) =>
    measure('ip', ['netns', 'exec', netns, 'iptables-legacy-restore', '--test'], { stdinFile: file });
  printHeader();
  for (const services of sizes('SERVICES', [10_000, 30_000])) {
    const bundle = join(dir, `bundle-${services}`);
    const host = join(bundle, 'netns/host');
    mkdirSync(join(host, 'proc/net'), { recursive: true });
    const saved = join(host, 'iptables-legacy-save');
    writeFileSync(saved, generateKubeProxyRuleset(services, ENDPOINTS));
    writeFileSync(join(host, 'sysctl.txt'), 'net.ipv4.ip_local_port_range = 1024\t65000\n');
    writeFileSync(
      join(host, 'proc/net/tcp'),
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n',
    );
    settle();
    const text = readFileSync(saved, 'utf8');
    const rules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
    const what = `${services.toLocaleString('en-US')} Services × ${ENDPOINTS} (${rules.toLocaleString('en-US')} rules, ${(text.length / 2 ** 20).toFixed(0)} MiB)`;
    const analyze = sideBySide(
      RUNS,
      () => netdoctor(['analyze', bundle, '--rules', RULES.join(',')]),
      () => restore(saved),
      checkAnalyze(
        new Set(text.match(/^-A KUBE-NODEPORTS .*--dport \d+/gm)?.map((l) => l.slice(l.lastIndexOf(' ')))).size,
      ),
      [saved],
    );
    printRow(what, 'iptables-legacy-restore --test', analyze, services >= 30_000 ? '≥ 20×' : '≥ 5×');
    // issue 17's bar: one trace, parse included, to a Service in the middle of the file
    const svc = Math.floor(services / 2);
    const vip = `10.96.${(svc >> 8) & 255}.${svc & 255}`;
    const trace = sideBySide(
      RUNS,
      () => netdoctor(['trace', saved, '--to', `${vip}:80`]),
      () => restore(saved),
      checkTrace,
      [saved],
    );
    printRow(`${what}: trace --to ${vip}:80`, 'iptables-legacy-restore --test', trace, '> 1×');
    rmSync(bundle, { recursive: true, force: true });
  }
} finally {
  spawnSync('ip', ['netns', 'del', netns]);
  rmSync(dir, { recursive: true, force: true });
}
