/**
 * The fake API server as a process (--port N: a fixed port, where the ephemeral range is exhausted), for tests whose agent runs in another network namespace: prints
 * {"port": N} once listening, writes its state to --state FILE after every request, and takes
 * POST /_control/fault/{none,forbidden,slow}.
 */
import { FakeApiServer } from './fake-apiserver.js';

const stateAt = process.argv.indexOf('--state');
const server = new FakeApiServer();
server.stateFile = stateAt > 0 ? process.argv[stateAt + 1] : undefined;
server.slowMs = 20_000;
const portAt = process.argv.indexOf('--port');
await server.start(portAt > 0 ? Number(process.argv[portAt + 1]) : 0);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
