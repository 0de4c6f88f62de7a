/** The message catalogue is consistent: every example is recognised by its own signature, every cause names real rules. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { closestSignatures, firstMatch, matchLine } from '../../src/explain/explain.js';
import {
  CONNECT_FAILURE_OF_ERRNO,
  CONNECTION_FAILURES,
  connectionFailure,
} from '../../src/knowledge/connection-failures.js';
import { ERRNOS, errnoByText } from '../../src/knowledge/errnos.js';
import { CATALOGUE_COVERS, SIGNATURES } from '../../src/knowledge/error-signatures.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { ROOT } from '../helpers.js';

describe('error-message catalogue', () => {
  for (const sig of SIGNATURES) {
    it(`${sig.id}: its example is recognised by it`, () => {
      const m = matchLine(sig.example);
      assert.ok(m, `"${sig.example}" not recognised`);
      assert.ok(
        m.signature === sig.id || m.signature.startsWith(`${sig.id}+`),
        `"${sig.example}" taken by ${m.signature}, not ${sig.id}`,
      );
      assert.ok(sig.source.trim().length > 0);
    });
  }

  it('every program the help names has a signature', () => {
    for (const program of CATALOGUE_COVERS)
      assert.ok(
        SIGNATURES.some((s) => s.tool.includes(program)),
        `${program} has no signature`,
      );
  });

  it('the quick pre-test never hides a match: examples and every real captured line agree with the full search', () => {
    const dir = join(ROOT, 'test/fixtures/explain');
    const real = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'probes')
      .flatMap((d) =>
        readdirSync(join(dir, d.name)).flatMap((f) => readFileSync(join(dir, d.name, f), 'utf8').split('\n')),
      );
    assert.ok(real.length > 500);
    let matched = 0;
    for (const line of [...SIGNATURES.map((s) => s.example), ...real]) {
      const full = firstMatch(line)?.signature;
      assert.equal(matchLine(line)?.signature, full, line);
      if (full) matched++;
    }
    assert.ok(matched >= 150, `only ${matched} lines matched`);
  });

  it('signature and failure ids are unique', () => {
    assert.equal(new Set(SIGNATURES.map((s) => s.id)).size, SIGNATURES.length);
    assert.equal(new Set(CONNECTION_FAILURES.map((f) => f.id)).size, CONNECTION_FAILURES.length);
  });

  it('fixture files named as sources exist', () => {
    const paths = SIGNATURES.flatMap((s) => s.source.match(/test\/fixtures\/explain\/[\w./-]+/g) ?? []).map((p) =>
      p.replace(/[.,;]$/, ''),
    );
    assert.ok(paths.length >= 30, `only ${paths.length} examples come from real captures`);
    for (const p of paths) assert.ok(existsSync(join(ROOT, p)), `${p} is named as a source but does not exist`);
  });

  it('every cause names rules that exist and that node or pcap can run', () => {
    const targets = new Map(ALL_RULES.map((r) => [r.id, r.target]));
    for (const f of CONNECTION_FAILURES) {
      assert.ok(f.causes.length > 0, `${f.id} has no causes`);
      assert.ok(f.meaning.endsWith('.'), `${f.id}: meaning is a sentence`);
      for (const c of f.causes) {
        assert.ok(c.rules.length > 0 || c.check, `${f.id}: a cause with neither rules nor a check: ${c.cause}`);
        for (const r of c.rules)
          assert.ok(['node', 'pcap'].includes(targets.get(r) ?? ''), `${f.id}: ${r} is not a node or pcap rule`);
      }
    }
  });

  it('every errno has its connect() failure, and each wording finds it', () => {
    for (const e of ERRNOS) {
      assert.equal(connectionFailure(CONNECT_FAILURE_OF_ERRNO[e.name]).id, CONNECT_FAILURE_OF_ERRNO[e.name]);
      for (const text of [e.glibc, e.musl, e.go]) assert.equal(errnoByText(text)?.name, e.name);
    }
  });

  it('a wrapped kubelet message keeps both tools and the inner destination', () => {
    const m = matchLine(
      '  Warning  Unhealthy  2m (x3 over 3m)  kubelet  Readiness probe failed: Get "http://10.244.2.9:8080/ready": dial tcp 10.244.2.9:8080: i/o timeout',
    );
    assert.equal(m?.signature, 'kubelet-probe-event+go-dial-timeout');
    assert.equal(m?.failure.id, 'connect-timeout');
    assert.deepEqual(m?.destination, { host: '10.244.2.9', port: 8080 });
    assert.match(m!.notes.join(' '), /node's own network namespace/);
  });

  it('a line whose wording is known but whose errno is not falls through to "not recognised"', () => {
    assert.equal(matchLine('Error: connect EACCES 10.0.0.1:80'), undefined);
    assert.equal(matchLine('HTTP probe failed with statuscode: 500'), undefined);
    assert.equal(matchLine('Liveness probe failed: HTTP probe failed with statuscode: 500'), undefined);
  });

  it('closest matches point at the nearest wording', () => {
    const [best] = closestSignatures('curl (7) Failed to conect to 10.0.0.1 port 80: Couldnt connect');
    assert.ok(best && best.signature.id.startsWith('curl-'), `closest was ${best?.signature.id}`);
    const [nginx] = closestSignatures('upstream sent too big header while reading response header from upstream');
    assert.ok(nginx && nginx.signature.id.startsWith('nginx-'), `closest was ${nginx?.signature.id}`);
    assert.deepEqual(closestSignatures('1234 5678'), []);
  });

  it('never throws, and long lines are cut before matching', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc
            .constantFrom(...SIGNATURES.map((s) => s.example))
            .chain((e) => fc.string({ maxLength: 20 }).map((noise) => noise + e + noise)),
        ),
        (s) => {
          matchLine(s);
          closestSignatures(s);
        },
      ),
      { numRuns: 500 },
    );
    const m = matchLine('x'.repeat(1_000_000) + ' connection refused');
    assert.equal(m, undefined);
    assert.equal(matchLine(`${'a '.repeat(1000)}connect: connection refused`)?.errno?.name, 'ECONNREFUSED');
  });
});
