#!/usr/bin/env node
// The `warden` executable. Warden is written in TypeScript and ships without a build step:
// the first run compiles it to plain JavaScript in node_modules/.cache/warden (see compiled.js)
// and later runs start from that. WARDEN_RUNTIME=tsx runs the sources through tsx instead
// (also the fallback when the cache cannot be written).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function loadMain() {
  // Already the compiled copy (the demo starts proxies from its own bin.js): run it as is.
  if (existsSync(join(root, '.warden-compiled'))) return import('./main.js');
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
