/**
 * The real messages of real clients, made in network namespaces by test/fixtures/explain/capture.sh (see
 * its header for each failure and how it was made), fed to the real CLI one scenario at a time, as a user
 * pastes them: whole outputs with stack traces and progress lines. Every output must be recognised as the
 * failure that was made, and nothing in it may be explained as another failure.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ExplainedLine } from '../../src/explain/explained.js';
import { FIXTURES, runCli } from '../helpers.js';

const DIR = join(FIXTURES, 'explain');

interface Expect {
  failure: string;
  errno?: string;
}

/** What each scenario made, and the clients whose words say something narrower or wider. */
const SCENARIOS: Record<
  string,
  { expect: Expect; byClient?: Record<string, Expect | Expect[]>; alsoAllowed?: Expect[]; noMessage?: string[] }
> = {
  eaddrnotavail: {
    expect: { failure: 'connect-eaddrnotavail', errno: 'EADDRNOTAVAIL' },
    byClient: { curl: { failure: 'connect-failed' } }, // curl 7.88 prints "Couldn't connect to server" for every connect() errno
    alsoAllowed: [{ failure: 'connect-failed' }], // curl -v: the errno line, then the same generic line
  },
  econnrefused: {
    expect: { failure: 'connect-econnrefused', errno: 'ECONNREFUSED' },
    byClient: { curl: { failure: 'connect-failed' } },
    alsoAllowed: [{ failure: 'connect-failed' }],
  },
  ehostunreach: {
    expect: { failure: 'connect-ehostunreach', errno: 'EHOSTUNREACH' },
    byClient: { curl: { failure: 'connect-failed' } },
    alsoAllowed: [{ failure: 'connect-failed' }],
  },
  enetunreach: {
    expect: { failure: 'connect-enetunreach', errno: 'ENETUNREACH' },
    byClient: { curl: { failure: 'connect-failed' } },
    alsoAllowed: [{ failure: 'connect-failed' }],
  },
  timeout: {
    expect: { failure: 'connect-timeout' },
    byClient: {
      // wget reports its own -T timeout with errno ETIMEDOUT's text
      wget: { failure: 'connect-etimedout', errno: 'ETIMEDOUT' },
      // Go's http.Client timeout covers the whole request; when its dial timer fires first the message says "dial tcp … i/o timeout"
      'go-http': [{ failure: 'connect-timeout' }, { failure: 'request-timeout' }],
      'kubelet-probe': [{ failure: 'request-timeout' }, { failure: 'connect-timeout' }],
    },
  },
  etimedout: {
    expect: { failure: 'connect-etimedout', errno: 'ETIMEDOUT' },
    byClient: { curl: { failure: 'connect-etimedout' } },
    // curl -v's own "* Failed to connect … Couldn't connect to server" line carries no exit code, so it stays unspecific
    alsoAllowed: [{ failure: 'connect-etimedout' }, { failure: 'connect-failed' }],
  },
  // the connection itself works in the next three: nc only reports it succeeded
  econnreset: {
    expect: { failure: 'connection-reset', errno: 'ECONNRESET' },
    byClient: { java: { failure: 'connection-reset' } },
    noMessage: ['openbsd-nc'],
  },
  'empty-reply': { expect: { failure: 'empty-reply' }, noMessage: ['openbsd-nc'] },
  // plain HTTP on the port: busybox nc just prints the HTTP answer, and Node's http module refuses https: URLs before connecting
  tls: { expect: { failure: 'tls-handshake' }, noMessage: ['busybox-nc', 'openbsd-nc', 'node-http'] },
  dns: {
    expect: { failure: 'dns-unreachable' },
    byClient: { curl: { failure: 'dns-failed' } },
    alsoAllowed: [{ failure: 'dns-failed' }],
  },
};

const key = (e: Expect) => `${e.failure}${e.errno ? `/${e.errno}` : ''}`;
const keyOf = (x: ExplainedLine) => key({ failure: x.failure.id, errno: x.errno?.name });

/** One CLI run per scenario: the outputs of all its clients one after another, and which lines are whose. */
async function explainScenario(
  scenario: string,
): Promise<{ client: string; explained: ExplainedLine[]; lines: number }[]> {
  const files = readdirSync(join(DIR, scenario))
    .filter((f) => f.endsWith('.txt'))
    .sort();
  const parts = files.map((f) => ({
    client: f.replace(/\.txt$/, ''),
    text: readFileSync(join(DIR, scenario, f), 'utf8').replace(/\n$/, ''),
  }));
  const r = await runCli(['explain', '-', '--format', 'json'], { stdin: parts.map((p) => p.text).join('\n') + '\n' });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    target: { kind: string };
    explanations: ExplainedLine[];
    input: { lines: number };
  };
  assert.equal(report.target.kind, 'text');
  let first = 1;
  return parts.map(({ client, text }) => {
    const lines = text.split('\n').length;
    const range = [first, first + lines];
    first += lines;
    return { client, lines, explained: report.explanations.filter((x) => x.line >= range[0]! && x.line < range[1]!) };
  });
}

describe('explain: real messages of real clients (test/fixtures/explain)', () => {
  for (const [scenario, spec] of Object.entries(SCENARIOS)) {
    it(`${scenario}: every client's output is explained as ${key(spec.expect)}`, async () => {
      const outputs = await explainScenario(scenario);
      assert.ok(outputs.length >= 5, `${scenario}: only ${outputs.length} clients recorded`);
      for (const { client, explained } of outputs) {
        if (spec.noMessage?.includes(client)) {
          assert.deepEqual(
            explained.map(keyOf),
            [],
            `${scenario}/${client} printed no failure message, yet something was explained`,
          );
          continue;
        }
        const expected = [spec.byClient?.[client] ?? spec.expect].flat().map(key);
        const allowed = new Set([...expected, key(spec.expect), ...(spec.alsoAllowed ?? []).map(key)]);
        const got = explained.map(keyOf);
        assert.ok(
          got.some((k) => expected.includes(k)),
          `${scenario}/${client}: expected ${expected.join(' or ')}, got [${got.join(', ')}]`,
        );
        for (const k of got) assert.ok(allowed.has(k), `${scenario}/${client}: also explained as ${k}`);
      }
    });
  }

  it('every destination the messages name is the one the client was given', async () => {
    for (const scenario of ['eaddrnotavail', 'econnrefused', 'ehostunreach']) {
      for (const { client, explained } of await explainScenario(scenario)) {
        for (const x of explained.filter((e) => e.destination)) {
          assert.match(x.destination!.host, /^10\.78\.0\.(2|99)$/, `${scenario}/${client}: ${x.destination!.host}`);
          if (x.destination!.port !== undefined)
            assert.ok(
              [80, 8080, 8081].includes(x.destination!.port),
              `${scenario}/${client}: port ${x.destination!.port}`,
            );
        }
      }
    }
  });

  it('musl and glibc wordings of the same errno are both recognised, and musl is named', async () => {
    for (const [scenario, errno] of [
      ['eaddrnotavail', 'EADDRNOTAVAIL'],
      ['ehostunreach', 'EHOSTUNREACH'],
      ['enetunreach', 'ENETUNREACH'],
      ['etimedout', 'ETIMEDOUT'],
    ] as const) {
      const outputs = await explainScenario(scenario);
      const musl = outputs.find((o) => o.client === 'busybox-musl')!.explained[0]!;
      const glibc = outputs.find((o) => o.client === 'busybox-glibc')!.explained[0]!;
      assert.equal(musl.errno?.name, errno);
      assert.equal(glibc.errno?.name, errno);
      // "Operation timed out" is musl's and macOS/BSD's text alike: naming only musl would be a guess
      assert.equal(musl.errno?.wording, errno === 'ETIMEDOUT' ? 'musl-or-bsd' : 'musl');
      assert.equal(glibc.errno?.wording, 'glibc');
      assert.notEqual(musl.errno?.text, glibc.errno?.text, `${scenario}: musl and glibc word ${errno} differently`);
      assert.match(musl.notes.join(' '), /musl/);
    }
  });

  it('nginx: each error.log line is its upstream failure, each 5xx in access.log its status', async () => {
    const byPath: Record<string, string> = {
      eaddrnotavail: 'connect-eaddrnotavail/EADDRNOTAVAIL',
      econnrefused: 'connect-econnrefused/ECONNREFUSED',
      ehostunreach: 'connect-ehostunreach/EHOSTUNREACH',
      enetunreach: 'connect-enetunreach/ENETUNREACH',
      timeout: 'connect-timeout/ETIMEDOUT',
      econnreset: 'connection-reset/ECONNRESET',
      'empty-reply': 'empty-reply',
    };
    for (const log of ['error.log', 'access.log']) {
      const text = readFileSync(join(DIR, 'nginx', log), 'utf8');
      const r = await runCli(['explain', '-', '--format', 'json'], { stdin: text });
      const report = JSON.parse(r.stdout) as {
        explanations: ExplainedLine[];
        input: { lines: number; recognised: number };
      };
      const lines = text.trimEnd().split('\n');
      assert.equal(report.input.recognised, lines.length, `${log}: every line is a failure`);
      for (const x of report.explanations) {
        const path = /"GET \/([\w-]+) HTTP/.exec(x.text)![1]!;
        if (log === 'error.log') {
          assert.equal(keyOf(x), byPath[path], `${log} ${path}`);
          assert.equal(x.tool, 'nginx');
          assert.match(x.destination!.host, /^10\.7[89]\.0\.\d+$/);
        } else assert.equal(x.failure.id, path === 'timeout' ? 'upstream-504' : 'upstream-502', `${log} ${path}`);
      }
    }
  });
});
