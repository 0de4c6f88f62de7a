/** The agent's HTTP endpoint: /metrics for Prometheus, /healthz (the process serves) and /readyz (a tick succeeded). */
import { createServer, type Server } from 'node:http';
import { ToolError } from '../../model/errors.js';

interface Endpoints {
  metrics(): Promise<string>;
  ready(): boolean;
}

const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** ":9808", "127.0.0.1:9808", "[::1]:9808", "9808" → host and port. */
export function parseListen(listen: string): { host?: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ToolError(`--listen: expected [HOST]:PORT, got "${listen}"`);
  const host = m[1] ?? (m[2] || undefined);
  return { host, port };
}

export async function serve(listen: string, endpoints: Endpoints): Promise<{ server: Server; port: number }> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      endpoints.metrics().then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
        (e: unknown) => res.writeHead(500).end(`metrics: ${(e as Error).message}\n`),
      );
    } else if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') {
      const ready = endpoints.ready();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ok\n' : 'no tick has succeeded yet\n');
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /healthz or /readyz\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new ToolError(`--listen ${listen}: cannot listen there (${e.code ?? e.message})`));
    });
    server.listen(port, host, () => {
      resolve();
    });
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}
