// Runs Warden from plain JavaScript compiled once from its TypeScript sources, instead of
// through tsx's loader on every start: the loader costs every process a loader thread and an
// esbuild helper process (~45 MiB with it) and start-up time, and `warden proxy` runs once per
// agent and MCP server. The output mirrors the source tree (so `import.meta.url`-relative paths
// keep working) under node_modules/.cache/warden/, keyed by a fingerprint of the sources;
// a stale or missing copy is rebuilt (~0.3 s) and swapped in atomically. Plain JavaScript,
// because it runs before anything can load TypeScript.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const COMPILED_DIRS = ['src', 'examples'];
const LINKED = ['migrations'];
const STALE_AFTER_MS = 24 * 3600 * 1000;

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? walk(path) : [path];
  });
}

/** Path, size and mtime of every source file, hashed: any edit gives a new fingerprint. */
function fingerprint(root, files, esbuildVersion) {
  const hash = createHash('sha256').update(esbuildVersion);
  for (const file of files) {
    const s = statSync(file);
    hash.update(`${relative(root, file)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

function build(root, files, target, transformSync) {
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  for (const file of files) {
    const dest = join(tmp, relative(root, file));
    mkdirSync(dirname(dest), { recursive: true });
    const text = readFileSync(file);
    writeFileSync(dest, text); // the .ts too: examples are also run as TypeScript (node --import tsx …)
    if (file.endsWith('.ts')) {
      const { code } = transformSync(text.toString('utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline' });
      writeFileSync(dest.replace(/\.ts$/, '.js'), code);
    }
  }
  for (const name of LINKED) symlinkSync(join(root, name), join(tmp, name));
  // The package scope stops at node_modules/: say again that these files are ES modules.
  writeFileSync(join(tmp, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(join(tmp, '.warden-compiled'), root + '\n');
  try {
    renameSync(tmp, target);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process built the same fingerprint first
  }
}

function removeOld(cacheDir, keep) {
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (name !== keep && Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
}

/** The compiled entry point (…/src/cli/main.js), or undefined when it cannot be had here. */
export async function compiledMain(root) {
  // esbuild's version from its package.json: loading esbuild itself is needed only to build.
  const { version } = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'));
  const files = COMPILED_DIRS.flatMap((d) => walk(join(root, d))).sort();
  const cacheDir = join(root, 'node_modules', '.cache', 'warden');
  const name = `js-${fingerprint(root, files, version)}`;
  const target = join(cacheDir, name);
  if (!existsSync(join(target, '.warden-compiled'))) {
    const { transformSync } = await import('esbuild');
    mkdirSync(cacheDir, { recursive: true });
    build(root, files, target, transformSync);
    removeOld(cacheDir, name);
  }
  return join(target, 'src', 'cli', 'main.js');
}
