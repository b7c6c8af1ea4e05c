// `npm run bench [-- area…]`: runs each bench/<area>.bench.ts in its own process, one after
// another (never in parallel: the machine has two cores and the numbers are ratios measured
// side by side inside each harness). Results go to stdout as markdown tables.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n# bench/${file}\n\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `${dir}${file}`], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
