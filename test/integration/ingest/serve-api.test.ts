// The HTTP surface of `warden serve` around the receiver: probes, metrics, OpenAPI, the
// error shape (also for route plugins added by other modules), bearer auth, back-pressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resolveServeConfig } from '../../../src/config/index.js';
import { isWardenError } from '../../../src/core/index.js';
import { assertExported, countRows, exportSpans, startTestServe, toolCallSpans } from './serve-helpers.js';

const echoRoutes: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/echo', {
    schema: { querystring: z.object({ from: z.iso.datetime() }), response: { 200: z.object({ from: z.string() }) } },
  }, async (request) => ({ from: request.query.from }));
};

test('probes, metrics, OpenAPI and the error shape, with route plugins added through buildApp', async () => {
  const withRoutes = await startTestServe({}, [echoRoutes]);
  try {
    const get = (path: string) => fetch(`${withRoutes.url}${path}`);
    assert.deepEqual(await (await get('/healthz')).json(), { status: 'ok' });
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
    const bad = await get('/api/v1/echo?from=yesterday');
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(badBody.error.code, 'WARDEN_BAD_REQUEST');
    assert.match(badBody.error.message, /^querystring\/from: /);
    assert.deepEqual(await (await get('/api/v1/echo?from=2026-11-25T10:00:00Z')).json(), { from: '2026-11-25T10:00:00Z' });
    const missing = await get('/api/v1/nothing');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'WARDEN_NOT_FOUND');
    const openapi = (await (await get('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(openapi.openapi, /^3\./);
    for (const path of ['/v1/traces', '/api/v1/echo', '/healthz', '/readyz', '/metrics']) assert.ok(openapi.paths[path], path);
    const metrics = await get('/metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    for (const name of ['spans_received_total', 'rows_written_total', 'batch_seconds_bucket', 'queue_rows']) assert.match(text, new RegExp(`warden_ingest_${name}`));
  } finally {
    await withRoutes.close();
  }
});

test('with an API token every route but the probes needs the bearer token, the receiver included', async () => {
  const serve = await startTestServe({ apiToken: 's3cret' });
  try {
    assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
    const denied = await fetch(`${serve.url}/metrics`);
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'WARDEN_UNAUTHORIZED');
    assert.equal((await fetch(`${serve.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const spans = await toolCallSpans('agent-auth', 2);
    const anonymous = new OTLPTraceExporter({ url: `${serve.url}/v1/traces` });
    assert.notEqual((await exportSpans(anonymous, spans)).code, 0);
    await anonymous.shutdown();
    const authed = new OTLPTraceExporter({ url: `${serve.url}/v1/traces`, headers: { Authorization: 'Bearer s3cret' } });
    await assertExported(authed, spans);
    await authed.shutdown();
    await serve.writer.flush();
    assert.equal(await countRows(serve, 'tool_calls', "agent = 'agent-auth'"), 2);
  } finally {
    await serve.close();
  }
});

test('a non-loopback bind without a token is refused before anything starts', () => {
  assert.throws(() => resolveServeConfig({ listen: '0.0.0.0:4318' }, {}), (e: unknown) => {
    assert.ok(isWardenError(e, 'WARDEN_CONFIG_INVALID'));
    assert.match(e.message, /listening on 0\.0\.0\.0 \(not loopback\) requires an API token/);
    assert.match(e.hint ?? '', /--api-token/);
    return true;
  });
  assert.equal(resolveServeConfig({ listen: '0.0.0.0:4318' }, { WARDEN_API_TOKEN: 't' }).apiToken, 't');
});

test('a full queue answers 429 with Retry-After, and what was accepted is written on close', async () => {
  const serve = await startTestServe({ maxQueueRows: 3, flushInterval: '60s' });
  try {
    const post = async (agent: string) => fetch(`${serve.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(ProtobufTraceSerializer.serializeRequest(await toolCallSpans(agent, 3)) as Uint8Array),
    });
    assert.equal((await post('agent-first')).status, 200);
    const refused = await post('agent-second');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.headers.get('content-type') ?? '', /application\/x-protobuf/);
    assert.match(await (await fetch(`${serve.url}/metrics`)).text(), /warden_ingest_queue_rows 3\n/);
  } finally {
    await serve.close();
  }
  const { ChdbDriver, qualified } = await import('../../../src/storage/index.js');
  const reopened = await ChdbDriver.open({ path: serve.ingestStore.location, database: serve.ingestStore.database });
  try {
    const [row] = await reopened.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(reopened.database, 'tool_calls')} FINAL`);
    assert.equal(row?.n, 3);
  } finally {
    await reopened.close();
  }
});
