/**
 * The archive reader on generated and damaged archives: links (symbolic and hard), devices, FIFOs, paths that
 * climb out, huge declared sizes, truncation and flipped bytes. It opens what it can, refuses entries by name,
 * or says the archive is unreadable (BundleError); it never throws anything else, never writes outside its
 * temporary directory, and never leaves that directory behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { BundleError, openBundle } from '../../src/sources/bundle/archive.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'nd-tarfuzz-'))));
after(() => rm(dir, { recursive: true, force: true }));

/** One ustar header + data, written by hand so that any type, name and size can be declared. */
function entry(name: string, type: string, data: Buffer, linkname = '', declaredSize = data.length): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(declaredSize.toString(8).padStart(11, '0').slice(-11) + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname.slice(0, 100), 157);
  h.write('ustar\0' + '00', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

const tarOf = (entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
const bundleDirsLeft = () => readdirSync(tmpdir()).filter((n) => n.startsWith('netdoctor-bundle-')).length;

async function opensSafely(bytes: Buffer): Promise<void> {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.tar.gz`);
  await writeFile(file, bytes);
  const before = bundleDirsLeft();
  try {
    const b = await openBundle(file, { maxEntries: 50, maxEntryBytes: 64 * 1024, maxTotalBytes: 256 * 1024 });
    await b.cleanup();
  } catch (e) {
    assert.ok(e instanceof BundleError, `only BundleError: ${String(e)}`);
  } finally {
    await rm(file, { force: true });
  }
  assert.equal(bundleDirsLeft(), before, 'no temporary directory left behind');
  assert.equal(existsSync('/tmp/nd-escaped'), false, 'nothing written outside');
}

const names = fc.constantFrom(
  'netns/host/sysctl.txt',
  '../../tmp/nd-escaped',
  '/tmp/nd-escaped',
  'netns/host/../../../tmp/nd-escaped',
  'logs/kube-proxy.log',
  'a/b/c',
  '',
);
const types = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K');

describe('fuzz: the archive reader', () => {
  it('generated entries of every type, name and declared size', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            name: names,
            type: types,
            data: fc.uint8Array({ maxLength: 2000 }),
            link: names,
            huge: fc.boolean(),
          }),
          { maxLength: 6 },
        ),
        async (es) =>
          opensSafely(
            tarOf(
              es.map((e) => entry(e.name, e.type, Buffer.from(e.data), e.link, e.huge ? 8 ** 11 - 1 : e.data.length)),
            ),
          ),
      ),
      { numRuns: 60 },
    ));
  it('a real-looking archive, truncated or with bytes flipped', () => {
    const good = tarOf([
      entry('netns/host/sysctl.txt', '0', Buffer.from('net.ipv4.ip_local_port_range = 40000\t40009\n')),
      entry('logs/kube-proxy.log', '0', Buffer.from('I1121 x\n')),
    ]);
    return fc.assert(
      fc.asyncProperty(
        fc.nat({ max: good.length }),
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        async (cut, flips) => {
          const bytes = Buffer.from(good.subarray(0, cut));
          for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
          await opensSafely(bytes);
        },
      ),
      { numRuns: 80 },
    );
  });
});
