/**
 * SPEC.md bar: a 1,000,000-socket /proc/net/tcp → full port-usage analysis at least 3× faster than
 * `awk | sort | uniq -c` doing only the counting, with peak RSS under 200 MiB. Prints the ratio.
 *   npm run bench            (SOCKETS=… DESTINATIONS=… RUNS=… to vary)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './gen-proc-net-tcp.js';
import { median, runAnalyze, time } from './lib.js';

const SOCKETS = Number(process.env.SOCKETS ?? 1_000_000);
const DESTINATIONS = Number(process.env.DESTINATIONS ?? 50);
const RUNS = Number(process.env.RUNS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'nd-bench-'));
try {
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'netns/host/proc/net'), { recursive: true });
  writeFileSync(join(bundle, 'netns/host/sysctl.txt'), 'net.ipv4.ip_local_port_range = 32768\t60999\n');
  const tcp = join(bundle, 'netns/host/proc/net/tcp');
  await generate(tcp, SOCKETS, DESTINATIONS);
  console.log(
    `socket table: ${SOCKETS.toLocaleString('en-US')} sockets over ${DESTINATIONS} destinations, ${(statSync(tcp).size / 2 ** 20).toFixed(0)} MiB`,
  );

  const awk = `awk 'NR>1 { split($2, l, ":"); print l[1], $3 }' ${tcp} | sort | uniq -c > /dev/null`;
  let rssKiB = 0;
  const oursMs: number[] = [];
  const awkMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(
      time(() => {
        rssKiB = Math.max(
          rssKiB,
          runAnalyze(bundle, ['ephemeral-port-exhaustion', 'time-wait-pressure', 'source-port-is-nodeport']),
        );
      }),
    );
    awkMs.push(
      time(() => {
        const r = spawnSync('sh', ['-c', awk], { env: { ...process.env, LC_ALL: 'C' } });
        if (r.status !== 0) throw new Error(String(r.stderr));
      }),
    );
  }
  const [o, a] = [median(oursMs), median(awkMs)];
  console.log(
    `netdoctor analyze (whole CLI, 3 socket rules): ${o.toFixed(0)} ms median of ${RUNS}, peak RSS ${(rssKiB / 1024).toFixed(0)} MiB (bar: < 200 MiB)`,
  );
  console.log(`awk | sort | uniq -c (LC_ALL=C, counting only): ${a.toFixed(0)} ms median of ${RUNS}`);
  console.log(`ratio: netdoctor is ${(a / o).toFixed(2)}× faster (bar: ≥ 3×)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
