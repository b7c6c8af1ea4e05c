// A `warden serve` that requires a token: the proxy sends it (from WARDEN_API_TOKEN or
// OTEL_EXPORTER_OTLP_HEADERS) on live exports and on deliveries from the spool alike.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { resolveOtlpHeaders } from '../../../src/config/index.js';
import { Tables } from '../../../src/storage/index.js';
import { countRows, startTestServe } from '../ingest/serve-helpers.js';
import { WARDEN_BIN, freePort } from '../../helpers/processes.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-otlp-auth-'));
after(() => rmSync(root, { recursive: true, force: true }));
const TOKEN = 's3cret-token';

test('OTLP headers follow the OTel rules, and WARDEN_API_TOKEN becomes the bearer token', () => {
  assert.deepEqual(resolveOtlpHeaders({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc,x-team=infra', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces' }),
    { authorization: 'Bearer abc', 'x-team': 'traces' });
  assert.deepEqual(resolveOtlpHeaders({ WARDEN_API_TOKEN: 't' }), { authorization: 'Bearer t' });
  assert.deepEqual(resolveOtlpHeaders({}), {});
});

async function runCalls(port: number, env: Record<string, string>, calls: number, lingerMs = 0): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', '--agent', 'tokened', '--otlp', `http://127.0.0.1:${port}`, '--spool', join(root, `spool-${port}`),
      '--', process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'auth-client', version: '1.0.0' });
  await client.connect(transport);
  for (let i = 0; i < calls; i++) await client.callTool({ name: 'task_list', arguments: {} });
  await new Promise((r) => setTimeout(r, lingerMs)); // time for the spool to retry its deliveries
  await client.close();
}

test('live exports carry the token; spans spooled while serve was down are delivered with it too', { timeout: 90_000 }, async () => {
  const port = await freePort();
  // serve is not up yet: the proxy's spans go to its spool.
  await runCalls(port, { OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${TOKEN}` }, 3);
  const serve = await startTestServe({ listen: `127.0.0.1:${port}`, apiToken: TOKEN });
  try {
    const unauthorized = await fetch(`${serve.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unauthorized.status, 401, 'serve refuses spans without the token');
    // A second proxy run while serve is up: live exports, token from WARDEN_API_TOKEN.
    await runCalls(port, { WARDEN_API_TOKEN: TOKEN }, 2);
    const count = () => countRows(serve, Tables.TOOL_CALLS, 'agent = {a:String}', { a: 'tokened' });
    await eventually('five rows', async () => (await count()) >= 5, { timeoutMs: 20_000, intervalMs: 200 });
    assert.equal(await count(), 5, 'three spooled + two live calls, each once');

    // Without the token serve answers 401: the spans stay in the spool instead of being dropped.
    const spool = join(root, `spool-${port}`);
    await runCalls(port, {}, 2, 5_000);
    assert.ok(readdirSync(spool).some((n) => n.endsWith('.otlp')), 'refused spans kept on disk');
    assert.equal(await count(), 5, 'nothing without the token was stored');
  } finally {
    await serve.close();
  }
});
