// Runs a netdoctor command in this process and reports its peak RSS, which a parent cannot see.
const { main } = await import('../dist/bundle/main.js');
const code = await main(['node', 'netdoctor', ...process.argv.slice(2)]);
process.stderr.write(`\nMAXRSS_KIB=${process.resourceUsage().maxRSS}\n`);
process.exitCode = code === 2 ? 2 : 0;
