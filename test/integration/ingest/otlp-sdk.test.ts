// Real OTel SDK exporters (protobuf and JSON, gzip or not) → in-process `warden serve` →
// rows read back from otel_traces and the tool_calls materialized view.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { RunningServe } from '../../../src/cli/serve-runner.js';
import { qualified } from '../../../src/storage/index.js';
import { assertExported, countRows, startTestServe, toolCallSpans } from './serve-helpers.js';

type Compression = NonNullable<NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>['compression']>;
const GZIP = 'gzip' as Compression;

let serve: RunningServe;
before(async () => {
  serve = await startTestServe();
});
after(async () => {
  await serve.close();
});

const exporters = () => ({
  protobuf: new ProtoExporter({ url: `${serve.url}/v1/traces` }),
  'protobuf+gzip': new ProtoExporter({ url: `${serve.url}/v1/traces`, compression: GZIP }),
  json: new JsonExporter({ url: `${serve.url}/v1/traces` }),
  'json+gzip': new JsonExporter({ url: `${serve.url}/v1/traces`, compression: GZIP }),
});

test('spans from every OTLP exporter flavour land in otel_traces and tool_calls', async () => {
  for (const [name, exporter] of Object.entries(exporters())) {
    const spans = await toolCallSpans(`agent-${name}`, 20);
    await assertExported(exporter, spans);
    await exporter.shutdown();
  }
  await serve.writer.flush();
  for (const name of Object.keys(exporters())) {
    const agent = `agent-${name}`;
    assert.equal(await countRows(serve, 'otel_traces', "SpanAttributes['gen_ai.agent.id'] = {a:String}", { a: agent }), 20, name);
    assert.equal(await countRows(serve, 'tool_calls', 'agent = {a:String}', { a: agent }), 20, name);
    assert.equal(await countRows(serve, 'tool_calls', "agent = {a:String} AND decision = 'deny' AND NOT enforced", { a: agent }), 10, name);
  }
});

test('stored values are the exporter layout: ids, kinds, start time and duration in ns', async () => {
  const spans = await toolCallSpans('agent-values', 1, 'load_context');
  const exporter = new ProtoExporter({ url: `${serve.url}/v1/traces` });
  await assertExported(exporter, spans);
  await exporter.shutdown();
  await serve.writer.flush();
  const span = spans[0];
  assert.ok(span);
  const [row] = await serve.queryStore.query<Record<string, unknown>>(
    `SELECT TraceId, SpanId, SpanKind, ServiceName, ScopeName, StatusCode, Duration, toUnixTimestamp64Nano(Timestamp) AS ns
     FROM ${qualified(serve.queryStore.database, 'otel_traces')} WHERE SpanAttributes['gen_ai.agent.id'] = 'agent-values'`,
  );
  const startNs = BigInt(span.startTime[0]) * 1_000_000_000n + BigInt(span.startTime[1]);
  const endNs = BigInt(span.endTime[0]) * 1_000_000_000n + BigInt(span.endTime[1]);
  assert.deepEqual(row, {
    TraceId: span.spanContext().traceId,
    SpanId: span.spanContext().spanId,
    SpanKind: 'Server',
    ServiceName: 'warden-proxy',
    ScopeName: 'warden',
    StatusCode: 'Unset',
    Duration: Number(endNs - startNs),
    ns: Number(startNs),
  });
  const [call] = await serve.queryStore.query<Record<string, unknown>>(
    `SELECT tool, risk, decision, mode, args_bytes, session FROM ${qualified(serve.queryStore.database, 'tool_calls')} FINAL WHERE agent = 'agent-values'`,
  );
  assert.deepEqual(call, { tool: 'load_context', risk: 'write', decision: 'allow', mode: 'enforce', args_bytes: 10, session: 's-0' });
});

test('a redelivered request counts once in otel_traces and tool_calls', async () => {
  const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(await toolCallSpans('agent-redelivered', 5)) as Uint8Array);
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${serve.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
    assert.equal((await response.arrayBuffer()).byteLength, 0, 'full success is an empty ExportTraceServiceResponse');
  }
  await serve.writer.flush();
  assert.equal(await countRows(serve, 'otel_traces', "SpanAttributes['gen_ai.agent.id'] = 'agent-redelivered'"), 5);
  assert.equal(await countRows(serve, 'tool_calls', "agent = 'agent-redelivered'"), 5);
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  assert.match(metrics, /warden_ingest_spans_deduplicated_total 10\n/);
});
