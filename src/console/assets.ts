/**
 * The console's files, read once at start-up: its own (web/, plain browser ES modules, no
 * build step) and the libraries it imports, served from node_modules so nothing comes from
 * a CDN. Each is kept with a gzip copy and an ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  /** URL path below `/console/`, e.g. `views/agents.js`. */
  path: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Library files under the name the console imports them by (see the import map in web/index.html). */
export const VENDOR_FILES: Readonly<Record<string, readonly [pkg: string, file: string]>> = {
  'vendor/preact.js': ['preact', 'dist/preact.module.js'],
  'vendor/preact-hooks.js': ['preact', 'hooks/dist/hooks.module.js'],
  'vendor/htm.js': ['htm', 'dist/htm.module.js'],
  'vendor/uplot.js': ['uplot', 'dist/uPlot.iife.min.js'],
  'vendor/uplot.css': ['uplot', 'dist/uPlot.min.css'],
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

function asset(path: string, body: Buffer): ConsoleAsset {
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { path, type, body, gzip: gzipSync(body, { level: 9 }), etag };
}

/** A package's directory, found from its main entry (not every package exports its package.json). */
function packageRoot(require: NodeJS.Require, pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== pkg) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`internal: no package.json for ${pkg}`);
    dir = up;
  }
  return dir;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Every file the console serves, by URL path below `/console/`. */
export function loadConsoleAssets(): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const file of walk(WEB_DIR)) {
    const path = relative(WEB_DIR, file).split(sep).join('/');
    assets.set(path, asset(path, readFileSync(file)));
  }
  const require = createRequire(import.meta.url);
  for (const [path, [pkg, file]] of Object.entries(VENDOR_FILES)) {
    assets.set(path, asset(path, readFileSync(join(packageRoot(require, pkg), file))));
  }
  return assets;
}

/** Total bytes of every asset as served gzipped (what a first visit downloads at most). */
export function gzippedSize(assets: ReadonlyMap<string, ConsoleAsset>): { files: number; bytes: number; gzipBytes: number } {
  let bytes = 0;
  let gzipBytes = 0;
  for (const a of assets.values()) {
    bytes += a.body.length;
    gzipBytes += a.gzip.length;
  }
  return { files: assets.size, bytes, gzipBytes };
}
