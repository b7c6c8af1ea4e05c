import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlpTraces, encodeExportResponse, encodeStatus, type OtelTraceRow } from '../../../src/ingest/index.js';
import { asJson, asProtobuf, hrTimeNs, sdkSpans } from '../../helpers/sdk-otlp-bodies.js';
import { encode, hex, kv, request, type Field } from '../../helpers/proto-encode.js';

const PROTO = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

function rowsOf(body: Buffer, type: string, encoding?: string): OtelTraceRow[] {
  const result = decodeOtlpTraces(body, type, encoding);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value.rows;
}

test('SDK spans decode to the exporter\'s column values, identically from protobuf and JSON', async () => {
  const spans = await sdkSpans();
  const fromProto = rowsOf(asProtobuf(spans), PROTO);
  const fromJson = rowsOf(asJson(spans), JSON_TYPE);
  assert.deepEqual(fromJson, fromProto);
  assert.equal(fromProto.length, 2);
  const call = fromProto.find((r) => r.SpanName === 'tools/call session_close') as OtelTraceRow;
  const list = fromProto.find((r) => r.SpanName === 'tools/list') as OtelTraceRow;
  const sdkCall = spans.find((s) => s.name === 'tools/call session_close');
  assert.ok(sdkCall);
  assert.equal(call.TraceId, sdkCall.spanContext().traceId);
  assert.equal(call.SpanId, sdkCall.spanContext().spanId);
  assert.equal(call.ParentSpanId, list.SpanId);
  assert.equal(list.ParentSpanId, '');
  assert.equal(call.Timestamp, hrTimeNs(sdkCall.startTime));
  assert.equal(String(call.Duration), (BigInt(hrTimeNs(sdkCall.endTime)) - BigInt(hrTimeNs(sdkCall.startTime))).toString());
  assert.equal(call.SpanKind, 'Server');
  assert.equal(call.StatusCode, 'Error');
  assert.equal(call.StatusMessage, 'policy_denied');
  assert.equal(list.StatusCode, 'Unset');
  assert.equal(call.ServiceName, 'warden-proxy');
  assert.equal(call.ScopeName, 'warden');
  assert.equal(call.ScopeVersion, '1.2.3');
  assert.equal(call.ResourceAttributes['host.cores'], '2');
  assert.deepEqual(
    { ...call.SpanAttributes },
    {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'session_close',
      'gen_ai.agent.id': 'agent-1',
      'warden.decision': 'deny',
      'warden.enforced': 'true',
      'warden.args.bytes': '42',
      'warden.ratio': '1.5',
      tags: '["a","b\\u003cc"]',
      counts: '[1,2,3]',
    },
  );
  assert.deepEqual(call['Events.Name'], ['policy.evaluated']);
  assert.deepEqual(call['Events.Attributes'], [{ rule: 'tools.session_close.limits[0]' }]);
  assert.deepEqual(call['Links.SpanId'], [list.SpanId]);
  assert.deepEqual(call['Links.Attributes'], [{ 'link.kind': 'retry' }]);
});

test('gzip bodies decode to the same rows', async () => {
  const spans = await sdkSpans();
  assert.deepEqual(rowsOf(gzipSync(asProtobuf(spans)), PROTO, 'gzip'), rowsOf(asProtobuf(spans), PROTO));
  assert.deepEqual(rowsOf(gzipSync(asJson(spans)), 'application/json; charset=utf-8', 'gzip'), rowsOf(asJson(spans), JSON_TYPE));
});

const baseSpan = (extra: Field[]): Field[] => [
  { n: 1, bytes: hex(TRACE) }, { n: 2, bytes: hex(SPAN) }, { n: 5, bytes: 'op' }, { n: 7, fixed64: 1795639433609000123n }, { n: 8, fixed64: 1795639433609000223n }, ...extra,
];

test('values the SDK cannot send are written as pdata AsString() writes them', () => {
  const body = request([baseSpan([
    kv('neg', [{ n: 3, varint: -5n }]),
    kv('big', [{ n: 3, varint: 9007199254740993n }]),
    kv('nan', [{ n: 4, double: Number.NaN }]),
    kv('tiny', [{ n: 4, double: 1e-7 }]),
    kv('raw', [{ n: 7, bytes: Buffer.from([0, 1, 254]) }]),
    kv('empty', []),
    kv('map', [{ n: 6, msg: [
      { n: 1, msg: [{ n: 1, bytes: 'z' }, { n: 2, msg: [{ n: 2, varint: 1 }] }] },
      { n: 1, msg: [{ n: 1, bytes: 'a&b' }, { n: 2, msg: [{ n: 5, msg: [{ n: 1, msg: [{ n: 3, varint: 7 }] }, { n: 1, msg: [] }] }] }] },
    ] }]),
    { n: 99, bytes: 'unknown field, skipped' },
  ])], [kv('service.name', [{ n: 1, bytes: 'svc' }], 1)]);
  const [row] = rowsOf(body, PROTO);
  assert.ok(row);
  assert.equal(row.ServiceName, 'svc');
  assert.equal(row.Duration, 100);
  assert.deepEqual({ ...row.SpanAttributes }, {
    neg: '-5',
    big: '9007199254740993',
    nan: 'json: unsupported value: NaN',
    tiny: '1e-7',
    raw: 'AAH+',
    empty: '',
    map: '{"a\\u0026b":[7,null],"z":true}',
  });
  const json = Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 'scope' }, spans: [{
    traceId: TRACE.toUpperCase(), spanId: SPAN, name: 'op', startTimeUnixNano: '1795639433609000123', endTimeUnixNano: 1795639433609000223,
    attributes: [
      { key: 'neg', value: { intValue: '-5' } }, { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'nan', value: { doubleValue: 'NaN' } }, { key: 'tiny', value: { doubleValue: 1e-7 } },
      { key: 'raw', value: { bytesValue: 'AAH+' } }, { key: 'empty', value: {} },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'z', value: { boolValue: true } }, { key: 'a&b', value: { arrayValue: { values: [{ intValue: 7 }, {}] } } }] } } },
    ],
  }] }] }] }));
  const [fromJson] = rowsOf(json, JSON_TYPE);
  assert.ok(fromJson);
  // A JSON number for a timestamp beyond 2^53 has lost precision before it reaches us.
  assert.deepEqual({ ...fromJson, Duration: row.Duration }, row);
});

test('spans with bad ids or out-of-range times are refused one by one (partial success)', () => {
  const body = request([
    baseSpan([]),
    [{ n: 1, bytes: hex('0102') }, { n: 2, bytes: hex(SPAN) }, { n: 5, bytes: 'short-trace' }],
    [{ n: 1, bytes: hex(TRACE) }, { n: 2, bytes: hex('0000000000000000') }, { n: 5, bytes: 'zero-span' }],
    [{ n: 1, bytes: hex(TRACE) }, { n: 2, bytes: hex('0000000000000001') }, { n: 7, fixed64: 18446744073709551615n }],
  ]);
  const result = decodeOtlpTraces(body, PROTO);
  assert.ok(result.ok);
  assert.equal(result.value.spanCount, 4);
  assert.equal(result.value.rows.length, 1);
  assert.equal(result.value.rejectedSpans, 3);
  assert.match(result.value.rejectReason ?? '', /short-trace.*trace_id must be 16 bytes/);
});

test('malformed bodies are refused with a reason', () => {
  const good = request([baseSpan([])]);
  const cases: Array<[string, Buffer, string, string | undefined, RegExp]> = [
    ['truncated protobuf', good.subarray(0, good.length - 3), PROTO, undefined, /malformed protobuf.*truncated/],
    ['wrong wire type', encode([{ n: 1, varint: 5 }]), PROTO, undefined, /resource_spans has wire type 0/],
    ['bad wire type 7', Buffer.from([0x17]), PROTO, undefined, /unsupported wire type 7/],
    ['invalid JSON', Buffer.from('{"resourceSpans": ['), JSON_TYPE, undefined, /malformed OTLP\/JSON request: invalid JSON/],
    ['JSON of the wrong shape', Buffer.from('{"resourceSpans": {}}'), JSON_TYPE, undefined, /resourceSpans must be an array/],
    ['a bad timestamp', Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}'), JSON_TYPE, undefined, /startTimeUnixNano must be a non-negative integer/],
    ['not gzip', good, PROTO, 'gzip', /not valid gzip/],
    ['unknown encoding', good, PROTO, 'br', /unsupported Content-Encoding "br"/],
    ['unknown content type', good, 'text/plain', undefined, /unsupported Content-Type "text\/plain"/],
  ];
  for (const [name, body, type, encoding, reason] of cases) {
    const result = decodeOtlpTraces(body, type, encoding);
    assert.equal(result.ok, false, name);
    if (!result.ok) assert.match(result.error, reason, name);
  }
  const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024));
  const tooLarge = decodeOtlpTraces(bomb, PROTO, 'gzip', 1024 * 1024);
  assert.ok(!tooLarge.ok && /exceeds 1048576 bytes/.test(tooLarge.error));
});

test('an empty request is valid and holds no spans', () => {
  for (const [body, type] of [[Buffer.alloc(0), PROTO], [Buffer.from('{}'), JSON_TYPE]] as const) {
    const result = decodeOtlpTraces(body, type);
    assert.ok(result.ok);
    assert.equal(result.value.spanCount, 0);
  }
});

test('replies decode with the SDK\'s own response deserialiser', () => {
  assert.equal(encodeExportResponse('protobuf', 0, undefined).length, 0);
  const partial = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('protobuf', 3, 'three refused'));
  assert.equal(Number(partial.partialSuccess?.rejectedSpans), 3);
  assert.equal(partial.partialSuccess?.errorMessage, 'three refused');
  const json = JSON.parse(encodeExportResponse('json', 2, 'two').toString()) as { partialSuccess: { rejectedSpans: string } };
  assert.equal(json.partialSuccess.rejectedSpans, '2');
  const status = JSON.parse(encodeStatus('json', 400, 'WARDEN_OTLP_BAD_DATA', 'bad').toString()) as Record<string, unknown>;
  assert.deepEqual(status, { code: 3, message: 'bad', error: { code: 'WARDEN_OTLP_BAD_DATA', message: 'bad' } });
  // google.rpc.Status: field 1 code=3 (varint), field 2 message.
  assert.deepEqual([...encodeStatus('protobuf', 400, 'X', 'bad')], [0x08, 3, 0x12, 3, 0x62, 0x61, 0x64]);
});
