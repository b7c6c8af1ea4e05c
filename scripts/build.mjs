// `npm run build`, also run by `prepare` (which `npm ci` and `npm pack` run): Warden as plain
// JavaScript in dist/, which the `warden` bin, `npm start` and the Docker image run, so a start
// loads no TypeScript compiler. tsc emits src/ and examples/ (types are checked by `npm run
// lint`, tests included); the files it does not emit are copied beside them, so paths taken
// relative to a module (the migrations, the console's web files, the example policy) hold in
// dist/ as in the sources. The tree is built aside and swapped in whole.
//   node scripts/build.mjs [OUT]   (default dist; OUT must sit inside the repository so that
//                                   node_modules/ resolves from it)
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, process.argv[2] ?? 'dist');
const EMITTED = ['src', 'examples'];
const COPIED = ['migrations'];

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

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
rmSync(out, { recursive: true, force: true });
renameSync(building, out);
