/**
 * `netdoctor trace` on loose files as people have them: an iptables-save, the `ipset save` and `ip route`
 * outputs pasted in public threads (weave#3452, calico#2612), and a file it cannot read, which is named.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, runCli } from '../helpers.js';

const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-X - [0:0]
:KUBE-SEP-X - [0:0]
:KUBE-POSTROUTING - [0:0]
-A POSTROUTING -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MASQUERADE
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES ! -s 10.32.0.0/12 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.99/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X
-A KUBE-SVC-X -j KUBE-SEP-X
-A KUBE-SEP-X -p tcp -m tcp -j DNAT --to-destination 10.33.92.9:8080
COMMIT
`;

let dir = '';
const corpus = (name: string) => join(FIXTURES, 'corpus', name);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nd-trace-cli-'));
  await writeFile(join(dir, 'rules.txt'), RULES);
  await writeFile(join(dir, 'notes.txt'), 'the pods restarted at 10:02\n');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('trace on loose files', () => {
  it('an endpoint behind the stale Calico blackhole of calico#2612: the SYN is dropped after DNAT, connect() hangs', async () => {
    const r = await runCli([
      'trace',
      join(dir, 'rules.txt'),
      corpus('ip-route-calico2612.txt'),
      corpus('ipset-save-weave3452.txt'),
      '--to',
      '10.96.0.99:80',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^routes: .*ip-route-calico2612\.txt$/m);
    assert.match(r.stdout, /^ipsets: 11 sets from .*ipset-save-weave3452\.txt$/m);
    assert.match(r.stdout, /1 {2}→ 10\.33\.92\.9:8080$/m);
    assert.match(
      r.stdout,
      /route \(blackhole after NAT: the kernel routes again after nat OUTPUT and drops the SYN there; connect\(\) times out \(ETIMEDOUT\), with no error at once\) line 1 +blackhole 10\.33\.92\.0\/26 {2}proto bird/,
    );
    // 10.96.0.99:80 is not in KUBE-CLUSTER-IP: the masquerade rule is decided (not matched), no "?" share
    assert.doesNotMatch(r.stdout, /if it (does not )?match/);
  });

  it('without the sets the -m set rule is followed both ways, naming the set; an unreadable file is said', async () => {
    const r = await runCli(['trace', join(dir, 'rules.txt'), join(dir, 'notes.txt'), '--to', '10.96.0.99:80']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ipsets: not read \(not in the input\): -m set matches are followed both ways$/m);
    assert.match(r.stdout, /^routes: not read \(not in the input\): the hop after the rules is not shown$/m);
    assert.match(r.stdout, /^not read: .*notes\.txt: could not tell what this file is/m);
    // the two ways differ (masqueraded or not), so each is a "?" share that names the set it assumed
    assert.match(
      r.stdout,
      /1\? → 10\.33\.92\.9:8080, source NAT: MASQUERADE\n {9}if it matches: --match-set KUBE-CLUSTER-IP dst,dst \(the sets were not read/,
    );
    assert.match(r.stdout, /1\? → 10\.33\.92\.9:8080\n {9}if it does not match: --match-set KUBE-CLUSTER-IP dst,dst/);
  });

  it("the Kubernetes docs' hostnames Service (kubernetes/website#12275): three shares of 1/3 from kube-proxy's 0.33332999982", async () => {
    const r = await runCli(['trace', corpus('iptables-save-hostnames-debug-service.txt'), '--to', '10.0.1.175:80']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .match(/^ +1\/3 {2}→ \S+/gm)
        ?.map((l) => l.trim())
        .sort(),
      ['1/3  → 10.244.1.7:9376', '1/3  → 10.244.2.3:9376', '1/3  → 10.244.3.6:9376'],
    );
  });

  it('--in decides -i; --in and --local together are refused', async () => {
    const refused = await runCli(['trace', join(dir, 'rules.txt'), '--to', '10.96.0.99:80', '--in', 'eth0', '--local']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot be used with option '--local'|'--local' cannot be used with/);
  });
});
