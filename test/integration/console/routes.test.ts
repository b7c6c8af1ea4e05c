// The console's HTTP side on a real `warden serve` with an API token: the page and its files
// need no token (a browser cannot send one when it navigates) but every API route still does;
// the CSP admits exactly the page's import map; every file the page and its modules import is
// served, the libraries byte for byte from node_modules; nothing outside the file table is.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { VENDOR_FILES, WEB_DIR } from '../../../src/console/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';

let serve: RunningServe;
/** A GET with the path sent exactly as written (fetch would resolve `..` segments first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(serve.url, { path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const get = (path: string, headers: Record<string, string> = {}) => fetch(serve.url + path, { headers });

before(async () => {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('console'), apiToken: 'tok' }, {});
  serve = await startServe({ config });
});
after(() => serve?.close());

test('the page and its files need no token; the API behind them does', async () => {
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await page.text(), /<script type="module" src="console\/app\.js">/);
  assert.equal((await get('/console/app.js')).status, 200);
  for (const path of ['/api/v1/agents', '/api/v1/anomalies', '/openapi.json', '/metrics']) assert.equal((await get(path)).status, 401, path);
  assert.equal((await get('/api/v1/agents', { authorization: 'Bearer tok' })).status, 200);
});

test('the CSP allows scripts from this origin and the inline import map by its hash, nothing else', async () => {
  const res = await get('/');
  const html = await res.text();
  const csp = res.headers.get('content-security-policy') ?? '';
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(map).digest('base64');
  assert.match(csp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'(;|$)`));
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal((html.match(/<script(?![^>]*\bsrc=)(?![^>]*importmap)[^>]*>/g) ?? []).length, 0, 'no other inline script');
});

/** Every URL the page references and every relative import in the console's modules. */
function referencedPaths(html: string): string[] {
  const fromPage = [...html.matchAll(/(?:src|href)="(console\/[^"]+)"/g)].map((m) => m[1]!);
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!) as { imports: Record<string, string> };
  const fromMap = Object.values(map.imports).map((u) => u.replace(/^\.\//, ''));
  const fromModules: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.name.endsWith('.js')) {
        for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
          fromModules.push(new URL(m[1]!, `http://x/console/${prefix}`).pathname.slice(1));
        }
      }
    }
  };
  walk(WEB_DIR, '');
  return [...new Set([...fromPage, ...fromMap, ...fromModules])];
}

/** The relative imports of a console module, and theirs, as paths below console/. */
function importGraph(path: string, seen = new Set<string>()): Set<string> {
  for (const m of readFileSync(join(WEB_DIR, path), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const dep = new URL(m[1]!, `http://x/${path}`).pathname.slice(1);
    if (!seen.has(dep)) importGraph(dep, seen.add(dep));
  }
  return seen;
}

test('the page preloads every module early.js imports, so its requests need not wait for a chain of imports', async () => {
  const html = await (await get('/')).text();
  assert.match(html, /<script type="module" async src="console\/early\.js">/);
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="console\/([^"]+)">/g)].map((m) => m[1]!));
  assert.deepEqual([...preloaded].sort(), [...importGraph('early.js')].sort());
});

test('every file the page and its modules import is served with its type', async () => {
  const paths = referencedPaths(await (await get('/')).text());
  assert.ok(paths.length > 15, `found ${paths.length}`);
  for (const path of paths) {
    const res = await get('/' + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  }
});

test('the libraries are the pinned files from node_modules, gzip and ETags work, nothing else is served', async () => {
  const require = createRequire(import.meta.url);
  const [pkg, file] = VENDOR_FILES['vendor/preact.js']!;
  const original = readFileSync(join(dirname(require.resolve(pkg)), '..', file));
  const plain = Buffer.from(await (await get('/console/vendor/preact.js')).arrayBuffer());
  assert.deepEqual(plain, original);
  const zipped = await get('/console/vendor/preact.js', { 'accept-encoding': 'gzip' });
  assert.equal(zipped.headers.get('content-encoding'), 'gzip');
  // fetch decodes gzip itself: the bytes after decoding are the file.
  assert.deepEqual(Buffer.from(await zipped.arrayBuffer()), original);
  const etag = zipped.headers.get('etag') ?? '';
  assert.match(etag, /^"[\w-]+"$/);
  assert.equal((await get('/console/vendor/preact.js', { 'if-none-match': etag })).status, 304);
  for (const path of ['/console/index.html', '/console/../../package.json', '/console/%2e%2e/assets.ts', '/console/..%2fassets.ts', '/console/nope.js', '/console/']) {
    const res = await rawGet(path);
    assert.equal(res.status, 404, path);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'WARDEN_NOT_FOUND');
  }
});
