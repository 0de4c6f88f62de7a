/** Packet and conversation counts cross-checked against tshark on the same real captures. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyzePcapFixture, FIXTURES } from '../helpers.js';
import { join } from 'node:path';
import { at } from '../../src/model/indexing.js';

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const skip = tshark.status === 0 ? false : 'tshark is not installed (Debian package tshark; .ci/run installs it)';

function tsharkCounts(file: string): { packets: number; tcpPackets: number; conversations: number } {
  const run = (args: string[]) => spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8' }).stdout;
  const packets = run(['-T', 'fields', '-e', 'frame.number']).trim().split('\n').filter(Boolean).length;
  // TCP segments themselves, not the ones quoted inside ICMP errors
  const tcpPackets = run(['-Y', 'tcp && !icmp && !icmpv6', '-T', 'fields', '-e', 'frame.number'])
    .trim()
    .split('\n')
    .filter(Boolean).length;
  const conversations = run(['-q', '-z', 'conv,tcp'])
    .split('\n')
    .filter((l) => /<->/.test(l)).length;
  return { packets, tcpPackets, conversations };
}

describe('cross-check with tshark', { skip }, () => {
  const files = readdirSync(join(FIXTURES, 'pcap')).filter((f) => /\.pcap(ng)?$/.test(f));
  for (const file of files) {
    it(file, async () => {
      const report = await analyzePcapFixture(file);
      const ours = at(report.context!.captures!, 0);
      const theirs = tsharkCounts(join(FIXTURES, 'pcap', file));
      assert.equal(ours.packets, theirs.packets, 'packets');
      assert.equal(ours.tcpPackets, theirs.tcpPackets, 'TCP packets');
      // tshark starts a new conversation at each SYN that reuses a tuple, and counts tuples seen mid-connection
      assert.equal(ours.conversations, theirs.conversations, 'conversations');
    });
  }
});
