// The floor under a command: Node starting, the CLI's modules loading (as every command loads them), and
// the input read through once and its lines counted, nothing parsed. No parser in this runtime can beat it:
// a goal whose anchor divided by this floor is below the goal's ratio cannot be met by the CLI.
//   node bench/floor.mjs FILE...
import { closeSync, openSync, readSync } from 'node:fs';

await import('../dist/bundle/main.js');
const buffer = Buffer.allocUnsafeSlow(1 << 20);
let lines = 0;
for (const path of process.argv.slice(2)) {
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) {
      for (let i = buffer.indexOf(10); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
}
process.stdout.write(`${lines}\n`);
