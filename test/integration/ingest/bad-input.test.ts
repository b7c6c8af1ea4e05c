// Every kind of bad request gets its status and a reason in the request's encoding, and the
// valid requests sent around them all land.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { RunningServe } from '../../../src/cli/serve-runner.js';
import { assertExported, countRows, startTestServe, toolCallSpans } from './serve-helpers.js';

const LIMIT = 256 * 1024;
let serve: RunningServe;
let exporter: OTLPTraceExporter;
before(async () => {
  serve = await startTestServe({ maxBodyBytes: LIMIT });
  exporter = new OTLPTraceExporter({ url: `${serve.url}/v1/traces` });
});
after(async () => {
  await exporter.shutdown();
  await serve.close();
});

/** google.rpc.Status as protobuf: field 1 code (varint), field 2 message. */
function decodeStatus(bytes: Buffer): { code: number; message: string } {
  assert.equal(bytes[0], 0x08);
  const code = bytes[1] as number;
  assert.equal(bytes[2], 0x12);
  let len = 0;
  let shift = 0;
  let i = 3;
  for (;;) {
    const b = bytes[i++] as number;
    len |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) break;
  }
  return { code, message: bytes.toString('utf8', i, i + len) };
}

interface BadCase {
  name: string;
  body: Buffer;
  headers: Record<string, string>;
  status: number;
  reason: RegExp;
}

const validProto = async () => {
  const { ProtobufTraceSerializer } = await import('@opentelemetry/otlp-transformer');
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(await toolCallSpans('x', 1)) as Uint8Array);
};

test('bad requests are refused with 400/413/415 and a reason; the valid ones around them land', async () => {
  const proto = await validProto();
  const cases: BadCase[] = [
    { name: 'truncated protobuf', body: proto.subarray(0, proto.length - 5), headers: { 'content-type': 'application/x-protobuf' }, status: 400, reason: /malformed protobuf ExportTraceServiceRequest: truncated/ },
    { name: 'garbage protobuf', body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), headers: { 'content-type': 'application/x-protobuf' }, status: 400, reason: /malformed protobuf/ },
    { name: 'malformed JSON', body: Buffer.from('{"resourceSpans":[{'), headers: { 'content-type': 'application/json' }, status: 400, reason: /malformed OTLP\/JSON request: invalid JSON/ },
    { name: 'JSON of the wrong shape', body: Buffer.from('{"resourceSpans":"x"}'), headers: { 'content-type': 'application/json' }, status: 400, reason: /resourceSpans must be an array/ },
    { name: 'wrong content type', body: Buffer.from('hello'), headers: { 'content-type': 'text/plain' }, status: 415, reason: /unsupported Content-Type "text\/plain"/ },
    { name: 'no content type', body: Buffer.from('hello'), headers: {}, status: 415, reason: /unsupported Content-Type/ },
    { name: 'unknown content encoding', body: proto, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' }, status: 415, reason: /unsupported Content-Encoding "br"/ },
    { name: 'not really gzip', body: proto, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, status: 400, reason: /not valid gzip data/ },
    { name: 'body over the limit', body: Buffer.alloc(LIMIT + 1024, 1), headers: { 'content-type': 'application/x-protobuf' }, status: 413, reason: /too large|exceeds/i },
    { name: 'gzip that inflates past the limit', body: gzipSync(Buffer.alloc(LIMIT * 4)), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, status: 413, reason: /decompressed body exceeds 262144 bytes/ },
  ];
  let sent = 0;
  for (const c of cases) {
    await assertExported(exporter, await toolCallSpans('agent-around-bad', 3));
    sent += 3;
    const response = await fetch(`${serve.url}/v1/traces`, { method: 'POST', headers: c.headers, body: c.body });
    assert.equal(response.status, c.status, c.name);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.headers.get('content-type') === 'application/x-protobuf') {
      const status = decodeStatus(bytes);
      assert.match(status.message, c.reason, c.name);
      assert.equal(status.code, 3, c.name);
    } else {
      const body = JSON.parse(bytes.toString()) as { message: string; error: { code: string; message: string } };
      assert.match(body.error.message, c.reason, c.name);
      assert.match(body.error.code, /^WARDEN_/, c.name);
      assert.equal(body.message, body.error.message);
    }
  }
  await assertExported(exporter, await toolCallSpans('agent-around-bad', 3));
  sent += 3;
  await serve.writer.flush();
  assert.equal(await countRows(serve, 'tool_calls', "agent = 'agent-around-bad'"), sent);
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  assert.match(metrics, /warden_ingest_requests_total\{status="400"\} 5/);
  assert.match(metrics, /warden_ingest_requests_total\{status="413"\} 2/);
  assert.match(metrics, /warden_ingest_requests_total\{status="415"\} 3/);
});

test('spans refused one by one come back as partial_success and the rest land', async () => {
  const good = (id: string) => ({
    traceId: '5b8efff798038103d269b633813fc60c', spanId: id, name: 'tools/call read_graph', kind: 2,
    startTimeUnixNano: '1795639433609000000', endTimeUnixNano: '1795639433619000000',
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'read_graph' } },
      { key: 'gen_ai.agent.id', value: { stringValue: 'agent-partial' } },
    ],
  });
  const body = { resourceSpans: [{ scopeSpans: [{ spans: [good('eee19b7ec3c1b174'), { ...good('eee19b7ec3c1b175'), traceId: 'not-hex' }, { ...good('eee19b7ec3c1b176'), spanId: '00' }] }] }] };
  const response = await fetch(`${serve.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200);
  const reply = (await response.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
  assert.equal(reply.partialSuccess.rejectedSpans, '2');
  assert.match(reply.partialSuccess.errorMessage, /2 span\(s\) refused; first: span 1 .*ids must be hex/);
  await serve.writer.flush();
  assert.equal(await countRows(serve, 'tool_calls', "agent = 'agent-partial'"), 1);
});
