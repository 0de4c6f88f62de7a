// Runs a netdoctor command as the CLI does, from the bundle; exit 1 (findings at or over --fail-on) is a
// success for a benchmark. MAXRSS_KIB is the peak RSS as this process saw it.
const { main } = await import('../dist/bundle/main.js');
const code = await main(['node', 'netdoctor', ...process.argv.slice(2)]);
process.stderr.write(`\nMAXRSS_KIB=${process.resourceUsage().maxRSS}\n`);
process.exitCode = code === 2 ? 2 : 0;
