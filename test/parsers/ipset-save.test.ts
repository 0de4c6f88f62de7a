/** ipset save and ipset list, on what people pasted from IPVS-mode nodes (weave#3452, sealos#2108). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIpsetSave } from '../../src/parsers/ipset-save.js';
import { FIXTURES } from '../helpers.js';

/** A corpus file without the shell prompt line the user pasted above the output. */
const corpus = (name: string) =>
  readFileSync(join(FIXTURES, 'corpus', name), 'utf8')
    .split('\n')
    .filter((l) => !/^(\$|\[[^\]]+\]\$) /.test(l))
    .join('\n');

describe('ipset save / list', () => {
  it('weave#3452: every kube-proxy set with its type and family; members under the set they were added to', () => {
    const sets = parseIpsetSave(corpus('ipset-save-weave3452.txt'), 'ipset-save');
    assert.equal(sets.sets.size, 11);
    const cluster = sets.sets.get('KUBE-CLUSTER-IP');
    assert.deepEqual(
      [cluster?.type, cluster?.family, cluster?.members.map((m) => m.entry)],
      ['hash:ip,port', 'inet', ['10.96.0.10,udp:53', '10.96.140.192,tcp:80', '10.96.0.10,tcp:53', '10.96.0.1,tcp:443']],
    );
    assert.equal(cluster?.members[3]?.line, 5);
    assert.equal(sets.sets.get('KUBE-NODE-PORT-TCP')?.type, 'bitmap:port');
    assert.equal(sets.sets.get('KUBE-NODE-PORT-TCP')?.family, undefined);
    assert.deepEqual(sets.sets.get('KUBE-LOOP-BACK')?.members[1]?.entry, '10.32.0.2,tcp:80,10.32.0.2');
  });

  it('sealos#2108: `ipset list` gives the same shape (name, type, family from Header, members)', () => {
    const sets = parseIpsetSave(corpus('ipset-list-sealos2108.txt'), 'ipset-list');
    const cluster = sets.sets.get('KUBE-CLUSTER-IP');
    assert.deepEqual([cluster?.type, cluster?.family, cluster?.members.length], ['hash:ip,port', 'inet', 50]);
    assert.equal(cluster?.members.find((m) => m.entry === '10.68.0.10,udp:53')?.line, 37);
  });

  it('nomatch and options after the entry; an add to a set never created and garbage are refused with the line', () => {
    const sets = parseIpsetSave(
      'create NETS hash:net family inet6 hashsize 64 maxelem 8\nadd NETS fd00::/64\nadd NETS fd00::1:0/112 nomatch timeout 30\n',
    );
    assert.deepEqual(
      sets.sets.get('NETS')?.members.map((m) => [m.entry, m.nomatch]),
      [
        ['fd00::/64', false],
        ['fd00::1:0/112', true],
      ],
    );
    assert.throws(
      () => parseIpsetSave('add NOPE 10.0.0.1\n', 'x'),
      /x:1: "add" to set "NOPE", which no "create" line made/,
    );
    assert.throws(
      () => parseIpsetSave('Chain INPUT (policy ACCEPT)\n', 'x'),
      /x:1: not ipset save or ipset list output/,
    );
  });
});
