/**
 * The agent's own API client (sources/kube/agent-api.ts): in-cluster credentials over TLS against a server
 * whose certificate openssl made here — the CA checked, the rotated token sent — and which kubeconfigs it
 * takes itself and which it leaves to client-node.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inClusterCredentials, kubeconfigCredentials, lightNodeApi } from '../../src/sources/kube/agent-api.js';

const dir = mkdtempSync(join(tmpdir(), 'nd-agent-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for 127.0.0.1 (it is its own CA), as files under `dir/name`. */
function certificate(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  assert.equal(r.status, 0, r.stderr.toString());
  return { cert, key };
}

describe('the agent’s API client with in-cluster credentials', () => {
  const served = certificate('apiserver');
  const other = certificate('other');
  const seen: (string | undefined)[] = [];
  const paths: string[] = [];
  let server: Server;
  let port = 0;
  const account = join(dir, 'serviceaccount');

  before(async () => {
    server = createServer({ cert: readFileSync(served.cert), key: readFileSync(served.key) }, (req, res) => {
      seen.push(req.headers.authorization);
      paths.push(req.url ?? '');
      if (req.url === '/api/v1/nodes/worker-1')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"metadata":{"uid":"u-1"}}');
      else res.writeHead(404).end('{"kind":"Status","message":"nodes \\"x\\" not found"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    spawnSync('mkdir', ['-p', account]);
    writeFileSync(join(account, 'ca.crt'), readFileSync(served.cert));
    writeFileSync(join(account, 'token'), 'token-one\n');
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = () => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) });

  it('reads the Node over TLS checked against the mounted CA, with the token as it is now', async () => {
    const api = lightNodeApi(inClusterCredentials(env(), account), 2_000);
    assert.deepEqual(await api.nodeUid('worker-1'), { ok: true, value: 'u-1' });
    // the kubelet rotates a bound token in place: the next call sends the new one
    writeFileSync(join(account, 'token'), 'token-two\n');
    await api.nodeUid('worker-1');
    assert.deepEqual(seen.slice(-2), ['Bearer token-one', 'Bearer token-two']);
    const missing = await api.nodeUid('nope');
    assert.deepEqual(missing, { ok: false, status: 404, reason: 'HTTP 404: nodes "x" not found' });
  });

  it('refuses a server whose certificate the CA did not sign', async () => {
    const wrong = join(dir, 'wrong-ca');
    spawnSync('mkdir', ['-p', wrong]);
    writeFileSync(join(wrong, 'ca.crt'), readFileSync(other.cert));
    writeFileSync(join(wrong, 'token'), 't\n');
    const r = await lightNodeApi(inClusterCredentials(env(), wrong), 2_000).nodeUid('worker-1');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('a token file gone: the call fails with a reason, it does not throw', async () => {
    const gone = join(dir, 'no-token');
    spawnSync('mkdir', ['-p', gone]);
    writeFileSync(join(gone, 'ca.crt'), readFileSync(served.cert));
    const r = await lightNodeApi(inClusterCredentials(env(), gone), 2_000).nodeUid('worker-1');
    assert.deepEqual(r, { ok: false, reason: 'token: ENOENT' });
  });

  it('a server URL with a path (an API behind a proxy) keeps it', async () => {
    const api = lightNodeApi(
      {
        server: new URL(`https://127.0.0.1:${port}/k8s/clusters/c-1/`),
        ca: readFileSync(served.cert),
        insecure: false,
      },
      2_000,
    );
    const r = await api.nodeUid('worker-1');
    assert.deepEqual(r, { ok: false, status: 404, reason: 'HTTP 404: nodes "x" not found' });
    assert.equal(paths.at(-1), '/k8s/clusters/c-1/api/v1/nodes/worker-1');
  });

  it('an IPv6 service address is bracketed', () => {
    const creds = inClusterCredentials(
      { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' },
      account,
    );
    assert.equal(creds.server.host, '[fd00:10:96::1]');
  });
});

describe('which kubeconfigs the agent’s own client takes', () => {
  const config = (user: string, cluster = 'server: https://10.0.0.1:6443\n      certificate-authority: ca.crt') =>
    `apiVersion: v1
kind: Config
current-context: c
contexts:
  - name: c
    context: { cluster: k, user: u }
clusters:
  - name: k
    cluster:
      ${cluster}
users:
  - name: u
    user:
      ${user}
`;

  it('a token file and a CA named relative to the kubeconfig are read from its directory', () => {
    const home = join(dir, 'kube');
    spawnSync('mkdir', ['-p', home]);
    writeFileSync(join(home, 'ca.crt'), 'CA');
    writeFileSync(join(home, 'token'), 'from-file\n');
    const file = join(home, 'config');
    const creds = kubeconfigCredentials(config('tokenFile: token'), file);
    assert.ok(creds);
    assert.equal(creds.server.href, 'https://10.0.0.1:6443/');
    assert.equal(creds.ca?.toString(), 'CA');
    assert.equal(creds.token?.(), 'from-file');
    assert.equal(creds.insecure, false);
  });

  it('exec plugins, auth providers and proxies are left to client-node', () => {
    const exec = 'exec: { apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token] }';
    assert.equal(kubeconfigCredentials(config(exec), '/x/config'), undefined);
    assert.equal(kubeconfigCredentials(config('auth-provider: { name: oidc }'), '/x/config'), undefined);
    const proxied = 'server: https://10.0.0.1:6443\n      proxy-url: socks5://127.0.0.1:1080';
    assert.equal(kubeconfigCredentials(config('token: t', proxied), '/x/config'), undefined);
    assert.equal(kubeconfigCredentials(config('token: t'), '/x/config', 'no-such-context'), undefined);
  });
});
