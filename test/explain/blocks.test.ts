/**
 * `explain -` reads a log in blocks and, once only recognisable lines can change the report, searches each
 * block whole for the pre-filter's words (TextExplainer.pushBlock). It must give what reading every line
 * one by one gives: the same explained lines at the same line numbers, the same counts, the same closest lines;
 * so must reading stdin's bytes (TextExplainer.pushBytes), which searches for three letters of each word first.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  LOOKS_LIKE_AN_ERROR_WORDS,
  MIGHT_MATCH_WORDS,
  nextCandidate,
  nextCandidateOrErrorLike,
} from '../../src/explain/explain.js';
import { TextExplainer } from '../../src/explain/explained.js';
import { FIXTURES, nonEmpty } from '../helpers.js';

/** Every real line under test/fixtures/explain. */
function realLines(dir = join(FIXTURES, 'explain')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return realLines(path);
    return name.endsWith('.sh') ? [] : readFileSync(path, 'utf8').split('\n');
  });
}

const NOISE = [
  '2026-11-30T10:00:01Z INFO  request served path=/api/v1/items status=200 took=3ms',
  '',
  '   ',
  'GET /static/app.js 200 18233',
  'I1130 10:00:02.000000       1 controller.go:88] synced 42 objects',
];

/** The words with metacharacters, spelled out: every string each can match. */
const SPELLED: Record<string, string[]> = {
  'timed? ?out': ['timeout', 'timedout', 'time out', 'timed out'],
  ' 50[24]\\b': [' 502', ' 504'],
  'curl: \\(': ['curl: ('],
  'Client\\.Timeout': ['Client.Timeout'],
};

/** Every form of every word holds one of its three letters, and `search` finds it in upper case. */
function holdTheirLetters(
  words: readonly (readonly [pattern: string, letters: string])[],
  search: (buf: Uint8Array, from: number, to: number) => number,
) {
  for (const [pattern, letters] of words) {
    const forms = SPELLED[pattern] ?? [pattern];
    if (!SPELLED[pattern]) assert.doesNotMatch(pattern, /[\\.?*+()[\]{}|^$]/, `${pattern} is a plain word`);
    for (const form of forms) {
      assert.match(form, new RegExp(`^(?:${pattern})$`, 'i'), `${form} is a form of ${pattern}`);
      const hits = letters.split('|').filter((three) => form.toLowerCase().includes(three));
      assert.ok(hits.length > 0, `${form} holds one of ${letters}`);
      const buf = Buffer.from(`xx ${form.toUpperCase()} yy`);
      assert.ok(search(buf, 0, buf.length) >= 0, `the byte search finds ${form} in upper case`);
    }
  }
  const plain = Buffer.from('I1121 02:00:00.000001 1 handler.go:12] "Handled request" method="GET" status=200');
  assert.equal(search(plain, 0, plain.length), -1, 'a plain request line is passed over');
}

function state(e: TextExplainer) {
  return {
    lines: e.lineCount,
    recognised: e.recognised,
    explained: e.explained.map((x) => [x.line, x.signature]),
    unrecognised: e.unrecognised(),
  };
}

function both(lines: string[], blockSize: number) {
  const one = new TextExplainer();
  for (const l of lines) one.push(l);
  const blocks = new TextExplainer();
  for (let i = 0; i < lines.length; i += blockSize) blocks.pushBlock(lines.slice(i, i + blockSize));
  // the same lines as bytes, in blocks of whole lines (CRLF line ends in one of them), the last without a line end
  const bytes = new TextExplainer();
  for (let i = 0; i < lines.length; i += blockSize) {
    const block = lines.slice(i, i + blockSize).join(i % 3 === 0 ? '\r\n' : '\n');
    bytes.pushBytes(Buffer.from(i + blockSize >= lines.length ? block : `${block}\n`));
  }
  assert.deepEqual(state(bytes), state(blocks), `bytes in blocks of ${blockSize}`);
  return [state(one), state(blocks)];
}

describe('explain in blocks', () => {
  const real = realLines();
  it('a long log of noise with the real failure lines spread through it', () => {
    const log: string[] = [];
    for (let i = 0; i < 6000; i++)
      log.push(i % 7 === 3 ? (real[i % real.length] ?? '') : (NOISE[i % NOISE.length] ?? ''));
    for (const size of [1, 7, 500, 10_000]) {
      const [one, blocks] = both(log, size);
      assert.deepEqual(blocks, one, `blocks of ${size}`);
    }
    const recognised = nonEmpty(both(log, 500))[0].recognised;
    assert.ok(recognised > 20, `the real lines are recognised: ${recognised}`);
  });

  it('noise only: the closest lines and the counts are the same', () => {
    const log = Array.from({ length: 3000 }, (_, i) => NOISE[i % NOISE.length] ?? '');
    log[1700] = 'error: something went wrong talking to the upstream';
    const [one, blocks] = both(log, 256);
    assert.deepEqual(blocks, one);
  });

  it('noise with one line that reads like an error, for each such word: the same closest line as line by line', () => {
    const forms = ['ERROR', 'failed', 'refused', 'timed out', 'timeout', 'unreachable', 'reset', 'exception'];
    forms.push('cannot', "can't", "couldn't", 'unable', 'denied', 'closed');
    for (const form of forms) {
      const log = Array.from({ length: 400 }, (_, i) => NOISE[i % NOISE.length] ?? '');
      log[333] = `worker 7: ${form} while syncing`;
      const [one, blocks] = nonEmpty(both(log, 64));
      assert.deepEqual(blocks, one, form);
      assert.deepEqual(
        one.unrecognised.closest.map((c) => c.line),
        [334],
        `${form}: the line is offered as the closest`,
      );
    }
  });

  it('every word of the pre-filter holds the letters the byte search looks for', () => {
    holdTheirLetters(MIGHT_MATCH_WORDS, nextCandidate);
  });

  it('every word of the pre-filter and every word that reads like an error: the wider byte search finds it', () => {
    holdTheirLetters([...MIGHT_MATCH_WORDS, ...LOOKS_LIKE_AN_ERROR_WORDS], nextCandidateOrErrorLike);
  });

  it('finds a word on its line at every alignment, and counts the line ends it passes', () => {
    // two bytes at a time: a word may start on an odd or even byte, the range on an odd or even address
    const memory = Buffer.alloc(256, 0x2e); // '.'
    for (const word of ['EOF', 'refused', ' 502']) {
      for (let offset = 0; offset < 4; offset++) {
        for (let at = 0; at < 6; at++) {
          const text = `ab\ncd\n${'.'.repeat(at)}${word}.\nef\n`;
          memory.fill(0x2e);
          memory.write(text, offset);
          const range = memory.subarray(offset, offset + text.length);
          const passed = { newlines: 0 };
          const hit = nextCandidate(range, 0, range.length, passed);
          const line = range.toString('latin1', 0, hit).split('\n').length;
          assert.equal(line, 3, `${word} at ${at}, range at ${offset}: hit on line ${line}`);
          assert.equal(passed.newlines, 2, 'the line ends before the hit');
          const after = { newlines: 0 };
          const next = range.indexOf(10, hit) + 1;
          assert.equal(nextCandidate(range, next, range.length, after), -1, 'nothing after it');
          assert.equal(after.newlines, 1, 'the line end of the last line');
        }
      }
    }
    const odd = Buffer.from('xEOF'); // the word's last letter is the range's last byte, left alone
    assert.equal(nextCandidate(odd, 1, odd.length) >= 1, true);
  });

  it('blank lines only: still no text', () => {
    const e = new TextExplainer();
    e.pushBlock(['', '  ', '']);
    assert.throws(() => e.assertText(), /no text to explain/);
  });
});
