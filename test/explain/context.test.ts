/** The same words mean different things in context (lessons from public threads; see the issue on evidence). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runJson } from '../helpers.js';

async function explained(text: string) {
  const { report } = await runJson(['explain', text]);
  const [e] = report.explanations ?? [];
  assert.ok(e, `recognised: ${text}`);
  return e;
}

describe('explain in context', () => {
  it('EADDRNOTAVAIL toward IPv6 from "::" → no usable IPv6 source address first, not port exhaustion', async () => {
    const e = await explained('Error: connect EADDRNOTAVAIL 2001:db8::10:443 - Local (:::0)');
    assert.equal(e.failure.id, 'connect-eaddrnotavail');
    assert.match(e.causes[0]?.cause ?? '', /^No usable IPv6 source address/);
    assert.match(e.causes[0]?.check ?? '', /ip -6 route get 2001:db8::10/);
    assert.ok(!e.notes.some((n) => /none left to give/.test(n)), 'no claim that ports ran out');
    const v4 = await explained('Error: connect EADDRNOTAVAIL 10.96.0.10:443 - Local (0.0.0.0:0)');
    assert.match(v4.causes[0]?.cause ?? '', /^All ephemeral ports for this destination/);
  });
  it('`listen …: bind: address already in use` is a server that cannot listen, not a client binding before connect', async () => {
    const e = await explained('listen tcp :8080: bind: address already in use');
    assert.equal(e.failure.id, 'listen-eaddrinuse');
    assert.match(e.causes[0]?.cause ?? '', /^Another process .* already listens on this port/);
    assert.ok(!e.causes.some((c) => /binds before it connects/.test(c.cause)));
  });
  it("an i/o timeout to 127.0.0.1 or a pod IP does not start with the Service's missing rules; to a Service VIP it does", async () => {
    const loop = await explained('dial tcp 127.0.0.1:8080: i/o timeout');
    assert.ok(
      !loop.causes.some((c) => c.rules.some((r) => r.id === 'kube-proxy-restore-failure')),
      'loopback: not at all',
    );
    assert.ok(loop.notes.some((n) => /loopback/.test(n)));
    const pod = await explained('dial tcp 10.244.1.7:8080: i/o timeout');
    assert.ok(!pod.causes[0]?.rules.some((r) => r.id === 'kube-proxy-restore-failure'), 'pod IP: not first');
    assert.ok(
      pod.causes.at(-1)?.rules.some((r) => r.id === 'kube-proxy-restore-failure'),
      "pod IP: last, in case the range is the cluster's Service range",
    );
    const vip = await explained('dial tcp 10.96.0.1:443: i/o timeout');
    assert.ok(vip.causes[0]?.rules.some((r) => r.id === 'kube-proxy-restore-failure'));
  });
  it('macOS/BSD wordings are named as such, not as musl', async () => {
    const mac = await explained("curl: (7) Failed to connect to localhost port 80: Can't assign requested address");
    assert.equal(mac.errno?.name, 'EADDRNOTAVAIL');
    assert.equal(mac.errno?.wording, 'bsd');
    assert.ok(mac.notes.some((n) => /macOS\/BSD wording/.test(n)) && !mac.notes.some((n) => /^musl wording/.test(n)));
  });
  it('an IPv6 destination that starts with "::" is kept: [::1]:8080 (kubernetes/kubernetes#13270) reaches the capture filter', async () => {
    const e = await explained(
      "E0827 23:28:19.044748    7694 event.go:195] Unable to write event: 'Post http://localhost:8080/api/v1/namespaces/default/events: dial tcp [::1]:8080: getsockopt: connection refused' (may retry after sleeping)",
    );
    assert.equal(e.failure.id, 'connect-econnrefused');
    assert.equal(e.destination?.host.replace(/^\[|\]$/g, ''), '::1');
    assert.equal(e.destination?.port, 8080);
    assert.ok(
      e.next.some((c) => c.includes("'(tcp port 8080 and host ::1) or icmp or icmp6'")),
      `the capture names the destination: ${e.next.join(' | ')}`,
    );
  });
  it('a destination that is not a plain address or name never reaches a suggested command', async () => {
    const e = await explained('dial tcp evil$(touch /tmp/x)host:80: connect: no route to host');
    for (const cmd of [...e.next, ...e.causes.flatMap((c) => [...c.commands, c.check ?? ''])])
      assert.doesNotMatch(cmd, /\$\(|evil/);
  });
});
