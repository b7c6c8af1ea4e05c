// The package as installed: `npm run build` (run by `prepare`, so by `npm ci`) leaves plain
// JavaScript in dist/ that the `warden` bin runs, and the demo's proxies and example server
// with it, without TypeScript tooling (tsx, esbuild: dev dependencies) loading anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { tempDir } from '../../helpers/temp.js';

const NO_TYPESCRIPT = `--import=${pathToFileURL(resolve('test/helpers/no-typescript.mjs')).href}`;
// Inside the repository, so node_modules/ resolves from the built tree as it does from dist/.
const out = join(tempDir('dist', resolve('.tmp')), 'dist');

test('the build runs the CLI, the proxy and the example server as plain JavaScript', { timeout: 240_000 }, async () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', out], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  for (const file of ['src/cli/bin.js', 'src/cli/main.js', 'migrations/0001_otel_traces.sql', 'src/console/web/index.html', 'examples/compose/policy.json']) {
    assert.ok(existsSync(join(out, file)), `${file} in the build`);
  }
  const bin = join(out, 'src/cli/bin.js');
  const version = spawnSync(process.execPath, [NO_TYPESCRIPT, bin, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
  const check = spawnSync(process.execPath, [NO_TYPESCRIPT, bin, 'policy', 'check', 'examples/compose/policy.json'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /^ok: policy\.json: 6 tools/);

  // The demo's command line for an agent, from the built demo module: proxy and server both built.
  const { proxyCommand } = (await import(pathToFileURL(join(out, 'src/cli/demo/live-agents.js')).href)) as typeof import('../../../src/cli/demo/live-agents.js');
  const { command, args } = proxyCommand('researcher', 'http://127.0.0.1:9/v1/traces', tempDir('dist-spool'));
  assert.ok(args.every((a) => !/tsx|\.ts$/.test(a)), args.join(' '));
  const env = { ...process.env, NODE_OPTIONS: NO_TYPESCRIPT } as Record<string, string>;
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'dist-test', version: '0.1.0' });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.ok(tools.length >= 6, `tools: ${tools.map((t) => t.name).join(', ')}\n${stderr}`);
  } finally {
    await client.close();
  }
  assert.doesNotMatch(stderr, /TypeScript tooling/);
});
