// The CLI as the user runs it: one ES module file (plus a chunk per lazily loaded command part) built by
// esbuild from the compiled sources. Node 20 has no module compile cache, and loading ~200 small modules
// was most of every command's start-up (bare Node 90 ms; `netdoctor analyze` of a small bundle 290 → 160 ms).
// client-node and prom-client stay in node_modules: only the agent and the laptop commands load them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outdir,
  bundle: true,
  splitting: true, // the dynamic imports (agent, pcap, lint, trace…) stay separate chunks, loaded when used
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node', 'prom-client'],
  // commander and tar are CommonJS: their require() of node built-ins needs a require in an ES module
  banner: {
    js: "import { createRequire as ndCreateRequire } from 'node:module'; const require = ndCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
