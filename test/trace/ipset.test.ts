/** -m set decided as the kernel's ip_set_test decides it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpsetSave } from '../../src/parsers/ipset-save.js';
import { matchSet, type SetPacket } from '../../src/trace/ipset.js';

const SETS = parseIpsetSave(
  [
    'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536',
    'add KUBE-CLUSTER-IP 10.96.0.10,udp:53',
    'add KUBE-CLUSTER-IP 10.96.0.1,tcp:443',
    'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536',
    'add KUBE-LOOP-BACK 10.32.0.2,tcp:80,10.32.0.2',
    'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
    'add KUBE-NODE-PORT-TCP 30080',
    'add KUBE-NODE-PORT-TCP 31000-31010',
    'create NETS hash:net family inet hashsize 64 maxelem 8',
    'add NETS 10.0.0.0/8',
    'add NETS 10.1.0.0/16 nomatch',
    'create V6 hash:ip,port family inet6 hashsize 64 maxelem 8',
    'add V6 fd00::a,tcp:443',
    'create ALL list:set size 8',
    'add ALL NETS',
  ].join('\n'),
  'ipset-save',
);
const p = (dst: string, dport: number, extra: Partial<SetPacket> = {}): SetPacket => ({
  proto: 'tcp',
  dst,
  dport,
  ...extra,
});

describe('trace: -m set --match-set', () => {
  it('hash:ip,port with dst,dst: the address and the protocol:port must both be an entry', () => {
    assert.deepEqual(matchSet(SETS, 'KUBE-CLUSTER-IP', 'dst,dst', p('10.96.0.1', 443)), {
      match: true,
      entry: '10.96.0.1,tcp:443',
    });
    assert.deepEqual(matchSet(SETS, 'KUBE-CLUSTER-IP', 'dst,dst', p('10.96.0.10', 53)), { match: false });
    assert.deepEqual(matchSet(SETS, 'KUBE-CLUSTER-IP', 'dst,dst', p('10.96.0.10', 53, { proto: 'udp' })), {
      match: true,
      entry: '10.96.0.10,udp:53',
    });
  });

  it('fewer flags than the type has dimensions never match (kubernetes #54203: `dst` alone on hash:ip,port)', () => {
    assert.deepEqual(matchSet(SETS, 'KUBE-CLUSTER-IP', 'dst', p('10.96.0.1', 443)), { match: false });
  });

  it('hash:ip,port,ip with dst,dst,src: the source decides, and an unknown source is said, not guessed', () => {
    const hairpin = p('10.32.0.2', 80, { src: '10.32.0.2' });
    assert.equal((matchSet(SETS, 'KUBE-LOOP-BACK', 'dst,dst,src', hairpin) as { match: boolean }).match, true);
    const other = p('10.32.0.2', 80, { src: '10.32.0.9' });
    assert.deepEqual(matchSet(SETS, 'KUBE-LOOP-BACK', 'dst,dst,src', other), { match: false });
    assert.deepEqual(matchSet(SETS, 'KUBE-LOOP-BACK', 'dst,dst,src', p('10.32.0.2', 80)), {
      maybe: '-m set --match-set KUBE-LOOP-BACK dst,dst,src (the source address is not given (--from))',
    });
  });

  it('bitmap:port: single ports and ranges; hash:net: the most specific entry decides, so nomatch excludes', () => {
    assert.equal(
      (matchSet(SETS, 'KUBE-NODE-PORT-TCP', 'dst', p('192.168.1.5', 31005)) as { match: boolean }).match,
      true,
    );
    assert.deepEqual(matchSet(SETS, 'KUBE-NODE-PORT-TCP', 'dst', p('192.168.1.5', 30081)), { match: false });
    assert.deepEqual(matchSet(SETS, 'NETS', 'dst', p('10.2.0.1', 80)), { match: true, entry: '10.0.0.0/8' });
    assert.deepEqual(matchSet(SETS, 'NETS', 'dst', p('10.1.2.3', 80)), { match: false, entry: '10.1.0.0/16' });
    assert.deepEqual(matchSet(SETS, 'ALL', 'dst', p('10.2.0.1', 80)), { match: true, entry: '10.0.0.0/8' });
  });

  it('family: an inet6 set never matches an IPv4 packet; IPv6 entries compare as addresses', () => {
    assert.deepEqual(matchSet(SETS, 'V6', 'dst,dst', p('10.96.0.1', 443)), { match: false });
    assert.equal((matchSet(SETS, 'V6', 'dst,dst', p('fd00:0:0::a', 443)) as { match: boolean }).match, true);
    assert.deepEqual(matchSet(SETS, 'MISSING', 'dst', p('10.0.0.1', 1)), { maybe: 'set MISSING is not in ipset-save' });
  });
});
