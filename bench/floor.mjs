// The floor under a command: Node starting, the CLI's modules loading (as every command loads them), and
// the input read through once by the CLI's own reader (streamFd: the one page-aligned 1 MiB buffer) with
// its lines counted, nothing parsed. No parser in this runtime can beat it: a goal whose anchor divided by
// this floor is below the goal's ratio cannot be met by the CLI.
//   node bench/floor.mjs FILE...
import { closeSync, openSync } from 'node:fs';
import { streamFd } from '../dist/src/sources/fs/stream-file.js';

await import('../dist/bundle/main.js');
let lines = 0;
for (const path of process.argv.slice(2)) {
  const fd = openSync(path, 'r');
  try {
    streamFd(fd, (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
  } finally {
    closeSync(fd);
  }
}
process.stdout.write(`${lines}\n`);
