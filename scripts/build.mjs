// `npm run build`, also run by `prepare` (which `npm ci` and `npm pack` run): Warden as plain
// JavaScript in dist/, which the `warden` bin, `npm start` and the Docker image run, so a start
// loads no TypeScript compiler. tsc emits src/ and examples/ (types are checked by `npm run
// lint`, tests included); the files it does not emit are copied beside them, so paths taken
// relative to a module (the migrations, the console's web files, the example policy) hold in
// dist/ as in the sources. The tree is built aside and swapped in whole.
//   node scripts/build.mjs [--if-stale] [OUT]
// OUT (default dist) must sit inside the repository so that node_modules/ resolves from it.
// --if-stale builds only when a source is newer than the last build (`npm start`, `npm test`),
// so an edited checkout never runs an old dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const root = resolve(import.meta.dirname, '..');
const out = resolve(root, args.find((a) => !a.startsWith('--')) ?? 'dist');
const EMITTED = ['src', 'examples'];
const COPIED = ['migrations'];
/** Written last into a finished build: its time is the build's. */
const STAMP = '.built';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function isCurrent() {
  let built;
  try {
    built = statSync(join(out, STAMP)).mtimeMs;
  } catch {
    return false;
  }
  const inputs = [...EMITTED, ...COPIED].flatMap((d) => walk(join(root, d))).concat(join(root, 'tsconfig.build.json'), join(root, 'package.json'));
  return inputs.every((file) => statSync(file).mtimeMs <= built);
}

if (args.includes('--if-stale') && isCurrent()) process.exit(0);

const building = `${out}.tmp-${process.pid}`;
rmSync(building, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', building], { stdio: 'inherit' });
if (run.status !== 0) {
  rmSync(building, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
for (const dir of EMITTED) {
  for (const file of walk(join(root, dir))) {
    if (!file.endsWith('.ts')) cpSync(file, join(building, relative(root, file)));
  }
}
for (const dir of COPIED) cpSync(join(root, dir), join(building, dir), { recursive: true });
writeFileSync(join(building, STAMP), `${new Date().toISOString()}\n`);
rmSync(out, { recursive: true, force: true });
renameSync(building, out);
