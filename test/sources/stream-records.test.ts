/**
 * The record reader behind `explain -` from a file and the pcap reader: records cut by a read are carried in
 * front of the next (page-aligned) read, records longer than that room in a buffer of their own. Every
 * record must come out whole, in order, exactly once, whatever its length against the reserve and the chunk.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { streamFd, streamRecords } from '../../src/sources/fs/stream-file.js';

const dir = mkdtempSync(join(tmpdir(), 'nd-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `text` back as newline-ended records; the last may lack its newline (returned as left over). */
function records(text: string): { lines: string[]; leftover: number; calls: number } {
  const path = join(dir, 'records');
  writeFileSync(path, text);
  const fd = openSync(path, 'r');
  const lines: string[] = [];
  let calls = 0;
  try {
    const leftover = streamRecords(fd, (buf, length) => {
      calls++;
      assert.ok(buf.length >= length);
      let from = 0;
      for (let nl = buf.indexOf(10, from); nl !== -1 && nl < length; nl = buf.indexOf(10, from)) {
        lines.push(buf.toString('latin1', from, nl));
        from = nl + 1;
      }
      return from; // a cut record stays unconsumed, at the end too
    });
    return { lines, leftover, calls };
  } finally {
    closeSync(fd);
  }
}

const line = (n: number, fill: string) => `${n}:`.padEnd(n, fill);

describe('streamRecords', () => {
  it('returns lines of every size whole and in order: short, across chunks, past the reserve, past a chunk', () => {
    const sizes = [1, 10, 200, 70_000, 300_000, 1, 1_200_000, 5, 3_000_000, 16, 262_144, 262_145, 266_240, 266_241, 80];
    // enough short lines between the long ones that cuts fall at many offsets of the 1 MiB reads
    const want: string[] = [];
    for (let i = 0; i < 60_000; i++) want.push(line(10 + (i % 97), 'x'));
    sizes.forEach((s, i) => want.splice(1_000 + i * 4_000, 0, line(s, String.fromCharCode(97 + i))));
    const got = records(want.join('\n') + '\n');
    assert.equal(got.lines.length, want.length);
    got.lines.forEach((l, i) => assert.equal(l, want[i], `record ${i}`));
    assert.equal(got.leftover, 0);
  });

  it('carries short cuts as well as long ones: records of one length, cut by successive reads at shifting offsets', () => {
    // 2^20 leaves 1 of a 3-byte record, then 2, then 0: every carry of a byte or two is exercised
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (const length of [3, 5, 7, 64, 4_097]) {
      const want = Array.from({ length: Math.ceil(3_500_000 / length) }, (_, i) =>
        alphabet[i % alphabet.length]!.repeat(length - 1),
      );
      const got = records(want.join('\n') + '\n');
      assert.equal(got.lines.length, want.length, `records of ${length} bytes`);
      got.lines.forEach((l, i) => assert.equal(l, want[i], `record ${i} of ${length} bytes`));
    }
  });

  it('says how many bytes a last record without its end left unconsumed', () => {
    const got = records(`one\ntwo\n${'z'.repeat(400_000)}`);
    assert.deepEqual(got.lines, ['one', 'two']);
    assert.equal(got.leftover, 400_000);
  });

  it('reads an empty file as no record and nothing left', () => {
    assert.deepEqual(records(''), { lines: [], leftover: 0, calls: 0 });
  });

  it('streamFd hands out every byte once, after streamRecords used the same buffer', () => {
    records(`${'q'.repeat(500_000)}\nrest`);
    const path = join(dir, 'chunks');
    const data = Buffer.alloc(2_500_000, 'ab');
    writeFileSync(path, data);
    const fd = openSync(path, 'r');
    const parts: Buffer[] = [];
    try {
      streamFd(fd, (chunk) => parts.push(Buffer.from(chunk)));
    } finally {
      closeSync(fd);
    }
    assert.ok(Buffer.concat(parts).equals(data));
    assert.equal(parts.length, 3);
  });
});
