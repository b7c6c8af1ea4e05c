import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// @ts-expect-error: plain JavaScript (it runs before TypeScript can be loaded), no declarations
import { compiledMain } from '../../../src/cli/compiled.js';

const compile = compiledMain as (root: string) => Promise<string>;

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'warden-compiled-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'migrations'), { recursive: true });
  return root;
}

test('sources compile once into a mirror keyed by their fingerprint; an edit gives a new one', async () => {
  const root = tree({
    'src/cli/main.ts': 'export const answer: number = 42;\n',
    'examples/x/server.ts': 'const port: number = 1; export { port };\n',
    'examples/x/policy.json': '{"version":"1"}',
  });
  try {
    const main = await compile(root);
    const mirror = join(dirname(main), '..', '..');
    assert.ok(main.startsWith(join(root, 'node_modules/.cache/warden/js-')));
    assert.match(readFileSync(main, 'utf8'), /const answer = 42;/);
    for (const kept of ['examples/x/server.ts', 'examples/x/server.js', 'examples/x/policy.json', 'migrations', '.warden-compiled']) {
      assert.ok(existsSync(join(mirror, kept)), `${kept} in the mirror`);
    }
    assert.equal(JSON.parse(readFileSync(join(mirror, 'package.json'), 'utf8')).type, 'module');
    assert.equal(await compile(root), main, 'unchanged sources reuse the same mirror');
    writeFileSync(join(root, 'src/cli/main.ts'), 'export const answer: number = 43;\n');
    const next = await compile(root);
    assert.notEqual(next, main);
    assert.match(readFileSync(next, 'utf8'), /answer = 43/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('warden runs from the compiled copy by default and through tsx when asked', () => {
  for (const env of [{}, { WARDEN_RUNTIME: 'tsx' }]) {
    const run = spawnSync(process.execPath, ['src/cli/bin.js', 'policy', 'check', 'examples/compose/policy.json'], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^ok: policy\.json: 6 tools/);
  }
});
