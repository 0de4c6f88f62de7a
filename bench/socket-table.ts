/**
 * Socket tables (SPEC.md bar, issue 18's table): a /proc/net/tcp of 1,000,000 and 5,000,000 sockets →
 * the full port-usage analysis, against `awk | sort | uniq -c` doing only the counting on the same file.
 * Each size holds 20,000 sockets per destination. Ours and awk run alternately; CPU-time medians, peak RSS.
 * Every run's findings are checked against what the generator wrote (sockets and TIME_WAIT per destination).
 *   npm run bench:sockets            (SOCKETS=1000000,5000000 RUNS=3 to vary)
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, type Written } from './gen-proc-net-tcp.js';
import { measure, netdoctor, printHeader, printRow, settle, sideBySide, sizes, type Measured } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const RULES = ['ephemeral-port-exhaustion', 'time-wait-pressure', 'source-port-is-nodeport'];
const PER_DESTINATION = 20_000;

interface Finding {
  rule: string;
  subject: { remoteIp?: string; used?: number };
  evidence: { detail: string }[];
}

/** Every destination is reported with the number of sockets written to it, and the TIME_WAIT among them. */
function check(written: Written) {
  return (r: Measured) => {
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.rule === 'ephemeral-port-exhaustion',
    );
    if (findings.length !== written.perDestination.size)
      throw new Error(`${findings.length} destinations reported, ${written.perDestination.size} written`);
    for (const f of findings) {
      const want = written.perDestination.get(f.subject.remoteIp ?? '');
      if (!want || f.subject.used !== want.sockets)
        throw new Error(`${f.subject.remoteIp}: ${f.subject.used} sockets reported, ${want?.sockets} written`);
      const tw = want.timeWait > 0 ? `TIME_WAIT ${want.timeWait.toLocaleString('en-US')}` : 'ESTABLISHED';
      if (!f.evidence[0]?.detail.includes(tw)) throw new Error(`${f.subject.remoteIp}: evidence lacks "${tw}"`);
    }
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-'));
try {
  printHeader();
  for (const count of sizes('SOCKETS', [1_000_000, 5_000_000])) {
    const bundle = join(dir, `bundle-${count}`);
    mkdirSync(join(bundle, 'netns/host/proc/net'), { recursive: true });
    writeFileSync(join(bundle, 'netns/host/sysctl.txt'), 'net.ipv4.ip_local_port_range = 32768\t60999\n');
    const tcp = join(bundle, 'netns/host/proc/net/tcp');
    const written = await generate(tcp, count, Math.max(1, Math.round(count / PER_DESTINATION)));
    settle();
    const awk = `awk 'NR>1 { split($2, l, ":"); print l[1], $3 }' ${tcp} | sort | uniq -c > /dev/null`;
    const sides = sideBySide(
      RUNS,
      () => netdoctor(['analyze', bundle, '--rules', RULES.join(',')]),
      () => measure('sh', ['-c', awk], { env: { ...process.env, LC_ALL: 'C' } }),
      check(written),
      [tcp],
    );
    printRow(
      `${count.toLocaleString('en-US')}-socket /proc/net/tcp (${(statSync(tcp).size / 2 ** 20).toFixed(0)} MiB), ${RULES.length} rules`,
      'awk \\| sort \\| uniq -c',
      sides,
      count >= 5_000_000 ? '≥ 10×' : '≥ 4× (SPEC: ≥ 3×, < 200 MiB)',
    );
    rmSync(bundle, { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
