/** `netdoctor explain` as a user runs it: arguments or stdin, text/json/markdown, honest when it does not know. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Report } from '../../src/report/report.js';
import { MAX_EXPLAINED_LINES } from '../../src/explain/explained.js';
import { FIXTURES, runCli } from '../helpers.js';

const fixture = (p: string) => readFileSync(join(FIXTURES, 'explain', p), 'utf8');

describe('netdoctor explain', () => {
  it('explains a message given as words, with the ranked causes, their rules and the commands', async () => {
    const r = await runCli([
      'explain',
      'Liveness',
      'probe',
      'failed:',
      'Get',
      '"http://10.244.1.7:8080/healthz":',
      'dial',
      'tcp',
      '10.244.1.7:8080:',
      'connect:',
      'no',
      'route',
      'to',
      'host',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /explain argument \(1 line, 1 recognised\)/);
    assert.match(r.stdout, /^EHOSTUNREACH \(113\) from connect\(\): no route to host, to 10\.244\.1\.7:8080$/m);
    assert.match(r.stdout, /kubelet probe \(event\) → Go net\.Dial/);
    assert.match(r.stdout, /^ {2}1\. The destination pod is gone/m);
    assert.match(
      r.stdout,
      /confirm or exclude: ipvs-stale-real-server \(node\), ipvs-conn-reuse-mode \(node\), tuple-reused-in-time-wait \(pcap\)/,
    );
    assert.match(r.stdout, /next: sudo netdoctor node --rules ipvs-stale-real-server,ipvs-conn-reuse-mode\n/);
    assert.match(
      r.stdout,
      /tcpdump -i any -w \/tmp\/netdoctor\.pcap '\(tcp port 8080 and host 10\.244\.1\.7\) or icmp or icmp6'/,
    );
    assert.match(
      r.stdout,
      /netdoctor pcap \/tmp\/netdoctor\.pcap --rules tuple-reused-in-time-wait,icmp-unreachable-on-syn/,
    );
    assert.match(r.stdout, /ip route get 10\.244\.1\.7/, 'the check is filled in with the destination');
  });

  it('JSON: target kind text, the SPEC fields first, one entry per recognised line', async () => {
    const r = await runCli(['explain', '-', '--format', 'json'], { stdin: fixture('eaddrnotavail/python-urllib.txt') });
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(Object.keys(report).slice(0, 8), [
      'tool',
      'version',
      'schemaVersion',
      'target',
      'findings',
      'skipped',
      'problems',
      'summary',
    ]);
    assert.deepEqual(report.target, { kind: 'text', name: 'stdin' });
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.summary, { error: 0, warning: 0, info: 0 });
    const lines = report.explanations!;
    assert.ok(lines.length >= 2, 'the inner OSError and the outer URLError');
    for (const x of lines) {
      assert.equal(x.signature, 'python-errno');
      assert.deepEqual(x.errno, {
        name: 'EADDRNOTAVAIL',
        number: 99,
        text: 'Cannot assign requested address',
        wording: 'glibc',
      });
      assert.equal(x.failure.id, 'connect-eaddrnotavail');
      assert.equal(x.syscall, 'connect()');
      assert.deepEqual(x.causes[0]!.rules, [
        { id: 'ephemeral-port-exhaustion', target: 'node' },
        { id: 'time-wait-pressure', target: 'node' },
      ]);
      assert.deepEqual(x.next, [
        'sudo netdoctor node --rules ephemeral-port-exhaustion,time-wait-pressure,ephemeral-port-range',
      ]);
    }
    assert.equal(report.input!.recognised, lines.length);
    assert.equal(report.unrecognised!.lines, report.input!.lines - lines.length);
  });

  it('a log excerpt: lines of the same failure are explained once, the other lines counted', async () => {
    const log = [
      'I1121 02:02:40 starting worker',
      fixture('econnrefused/go-dial.txt').trim(),
      'I1121 02:02:41 retrying',
      fixture('econnrefused/go-dial.txt').trim(),
      '',
    ].join('\n');
    const r = await runCli(['explain', '-'], { stdin: log });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.match(/^ECONNREFUSED \(111\)/gm)?.length, 1);
    assert.match(r.stdout, /line 2 .*\n {2}line 4 /);
    assert.match(r.stdout, /2 other lines held no connection-failure message/);
  });

  it('says honestly when nothing is recognised, with the closest known messages', async () => {
    const r = await runCli(['explain', 'upstream sent too big header while reading response header from upstream']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /Not recognised: no line is a connection-failure message this catalogue knows \(\d+ message signatures of curl, /,
    );
    assert.match(r.stdout, /closest \(\d+%\): nginx/);
    const json = JSON.parse(
      (await runCli(['explain', 'upstream sent too big header', '--format', 'json'])).stdout,
    ) as Report;
    assert.equal(json.input!.recognised, 0);
    assert.deepEqual(json.explanations, []);
    assert.equal(json.unrecognised!.lines, 1);
  });

  it('text that reads like no error gets no guesses: nothing close, or a hint for a longer paste', async () => {
    const r = await runCli(['explain', 'hello world']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /line 1: hello world\n {4}nothing in the catalogue reads like it/);
    const long = await runCli(['explain', '-'], { stdin: 'starting\nlistening on :8080\nready\nserving\nok\n' });
    assert.match(long.stdout, /No line reads like an error message/);
  });

  it('no text is a usage error (exit 2), and so is a missing argument', async () => {
    const empty = await runCli(['explain', '']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no text to explain/);
    assert.equal((await runCli(['explain', '-'], { stdin: '' })).code, 2);
    assert.equal((await runCli(['explain', '-'], { stdin: '  \n\n\t\n' })).code, 2, 'blank lines are no text either');
    assert.equal((await runCli(['explain'])).code, 2);
  });

  it('markdown and --quiet', async () => {
    const md = await runCli(['explain', '--format', 'markdown', fixture('eaddrnotavail/busybox-musl.txt').trim()]);
    assert.match(md.stdout, /^## EADDRNOTAVAIL \(99\) from connect\(\)/m);
    assert.match(md.stdout, /```sh\nsudo netdoctor node --rules ephemeral-port-exhaustion/);
    const quiet = await runCli(['explain', '--quiet', fixture('eaddrnotavail/busybox-musl.txt').trim()]);
    assert.doesNotMatch(quiet.stdout, /kube-netdoctor/);
    assert.match(quiet.stdout, /note: musl wording/);
  });

  it('a log of nothing but failures: the first 1000 are explained, the rest counted', async () => {
    const line = fixture('econnrefused/go-dial.txt').trim();
    const r = await runCli(['explain', '-', '--format', 'json'], {
      stdin: `${line}\n`.repeat(MAX_EXPLAINED_LINES + 500),
    });
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.input, {
      lines: MAX_EXPLAINED_LINES + 500,
      recognised: MAX_EXPLAINED_LINES + 500,
      shown: MAX_EXPLAINED_LINES,
    });
    assert.equal(report.explanations!.length, MAX_EXPLAINED_LINES);
    assert.equal(report.unrecognised!.lines, 0);
    const text = await runCli(['explain', '-'], { stdin: `${line}\n`.repeat(MAX_EXPLAINED_LINES + 500) });
    assert.match(text.stdout, /… and 995 more lines like these/);
    assert.match(text.stdout, /500 more recognised lines are counted but not shown: the first 1000 are\./);
  });

  it('curl exit codes explain lines in any wording', async () => {
    const r = await runCli(['explain', "curl: (7) couldn't connect to host", '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.explanations![0]!.failure.id, 'connect-failed');
    assert.equal(report.explanations![0]!.signature, 'curl-exit-code');
  });

  it('help shows examples', async () => {
    const r = await runCli(['explain', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}netdoctor explain "curl: \(7\)/);
  });
});
