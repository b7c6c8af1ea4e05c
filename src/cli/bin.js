#!/usr/bin/env node
// The `warden` executable. Installed, it runs from dist/ (plain JavaScript built by `npm run
// build`, which `npm ci` runs through `prepare`): main.js sits beside this file there. Run
// from the sources (node src/cli/bin.js: tests, lint, a clone being edited) it compiles them
// once into node_modules/.cache/warden (see compiled.js, a development path: esbuild comes
// with the dev dependencies) and starts from that; WARDEN_RUNTIME=tsx runs the sources through
// tsx instead (also the fallback when the cache cannot be written).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function loadMain() {
  // dist/, or the compiled cache (the demo starts proxies from its own bin.js): run it as is.
  if (existsSync(join(here, 'main.js'))) return import('./main.js');
  if (process.env.WARDEN_RUNTIME !== 'tsx') {
    try {
      const { compiledMain } = await import('./compiled.js');
      return await import(pathToFileURL(await compiledMain(root)).href);
    } catch {
      // Read-only install or no esbuild: fall through to tsx.
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('./main.ts');
}

const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
