import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriter, OtlpReceiver, decodeOtlpBody } from '../../../src/ingest/index.js';
import { openTestStore } from '../../helpers/store.js';
import { encode, hex } from '../../helpers/proto-encode.js';

/** An ExportTraceServiceRequest of `n` tiny spans (~50 bytes each on the wire). */
function tinySpans(n: number, from = 0): Buffer {
  const spans = Array.from({ length: n }, (_, i) => encode([{ n: 2, msg: [
    { n: 1, bytes: hex('0af7651916cd43dd8448eb211c80319c') },
    { n: 2, bytes: hex((from + i + 1).toString(16).padStart(16, '0')) },
    { n: 5, bytes: 'op' },
  ] }]));
  const scopeSpans = Buffer.concat([encode([{ n: 1, msg: [{ n: 1, bytes: 'scope' }] }]), ...spans]);
  return encode([{ n: 1, msg: [{ n: 2, bytes: scopeSpans }] }]);
}

test('decoding stops at the queue\'s room: over it the request is refused whole (413 past the whole queue, 429 past the room left)', async () => {
  const store = await openTestStore();
  const writer = new BatchWriter(store, { maxQueueRows: 1000, flushIntervalMs: 60_000 });
  const receiver = new OtlpReceiver(writer);
  try {
    const huge = tinySpans(200_000);
    const tooBig = await receiver.receive(huge, 'application/x-protobuf', undefined);
    assert.equal(tooBig.kind, 'refused');
    assert.equal(tooBig.kind === 'refused' && tooBig.status, 413);
    assert.match(tooBig.kind === 'refused' ? tooBig.message : '', /more than 1000 spans/);
    assert.equal(writer.queuedRows, 0);

    assert.equal((await receiver.receive(tinySpans(600), 'application/x-protobuf', undefined)).kind, 'accepted');
    const over = await receiver.receive(tinySpans(500, 600), 'application/x-protobuf', undefined);
    assert.equal(over.kind === 'refused' && over.status, 429);
    assert.equal(over.kind === 'refused' && over.retryAfterSeconds, 1);
    assert.equal(writer.queuedRows, 600, 'nothing of the refused request was accepted');
    assert.equal((await receiver.receive(tinySpans(400, 600), 'application/x-protobuf', undefined)).kind, 'accepted', 'what fits is taken');

    // The refusal costs the budget's worth of decoding, not the body's: bytes past the
    // (budget + 1)th span are never read, so a malformed tail is not even noticed.
    // (Structural, not timed: a timing ratio flakes on a loaded CI machine.)
    const withBadTail = Buffer.concat([tinySpans(1001), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2])]);
    const full = decodeOtlpBody(withBadTail, 'protobuf');
    assert.ok(!full.ok && full.error.kind === 'bad_data', 'a whole read reaches the tail');
    const budgeted = decodeOtlpBody(withBadTail, 'protobuf', 1000);
    assert.ok(!budgeted.ok && budgeted.error.kind === 'over_budget', 'the budgeted read stops before it');
    const hugeFull = decodeOtlpBody(huge, 'protobuf');
    assert.ok(hugeFull.ok && hugeFull.value.rows.length === 200_000);
  } finally {
    await writer.close();
    await store.close();
  }
});

/** An OTLP/JSON request: one resourceSpans per entry of `scopes`, each scope holding that many tiny spans. */
function jsonSpans(scopes: number[][], extra: { resource?: string; attribute?: string } = {}): string {
  let id = 0;
  const span = () => `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"${(++id).toString(16).padStart(16, '0')}","name":"op"${extra.attribute ?? ''}}`;
  const resourceSpans = scopes.map((counts) => `{"resource":{"attributes":[]${extra.resource ?? ''}},"scopeSpans":[${counts.map((n) =>
    `{"scope":{"name":"s"},"spans":[${Array.from({ length: n }, span).join(',')}]}`).join(',')}]}`);
  return `{"resourceSpans":[${resourceSpans.join(',')}]}`;
}

test('an OTLP/JSON body is counted before JSON.parse: exact on the span path, and a malformed tail past the budget is never read', () => {
  const spread = Buffer.from(jsonSpans([[300, 200], [500]]));
  const within = decodeOtlpBody(spread, 'json', 1000);
  assert.ok(within.ok && within.value.rows.length === 1000, 'exactly the budget fits');
  const over = decodeOtlpBody(spread, 'json', 999);
  assert.ok(!over.ok && over.error.kind === 'over_budget', 'one more than the budget does not');

  // The tightest body the early stop reasons about: spans of 3 bytes (`{},`), refused one by one but counted.
  const minimal = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${'{},'.repeat(999)}{}]}]}]}`);
  const fits = decodeOtlpBody(minimal, 'json', 1000);
  assert.ok(fits.ok && fits.value.spanCount === 1000 && fits.value.rejectedSpans === 1000);
  const tight = decodeOtlpBody(minimal, 'json', 999);
  assert.ok(!tight.ok && tight.error.kind === 'over_budget');

  // Structural, not timed: JSON.parse of the whole body would report the tail as malformed JSON.
  const badTail = `${jsonSpans([[1001]]).slice(0, -4)},{"traceId": @@@ not json`;
  const spelledOtherwise = badTail.replace('"resourceSpans"', '"resource_spans"').replace('"scopeSpans"', '"scope_spans"').replace('"spans"', '"sp\\u0061ns"');
  for (const withBadTail of [badTail, spelledOtherwise].map((text) => Buffer.from(text))) {
    const full = decodeOtlpBody(withBadTail, 'json');
    assert.ok(!full.ok && full.error.kind === 'bad_data', 'a whole read reaches the tail');
    const budgeted = decodeOtlpBody(withBadTail, 'json', 1000);
    assert.ok(!budgeted.ok && budgeted.error.kind === 'over_budget', `the budgeted read stops before it (${withBadTail.subarray(0, 60).toString()})`);
  }

  // Decoys: objects under keys the decoder ignores, and "spans":[{…}] inside strings, are not spans;
  // a key spelled with an escape is the key JSON.parse reads, and proto field names count too.
  const decoys = Buffer.from(jsonSpans([[400]], {
    resource: `,"spans":[${'{},'.repeat(700)}{}]`,
    attribute: `,"attributes":[{"key":"spans","value":{"stringValue":"\\"spans\\":[{},{},{}] \\\\"}},{"key":"k","value":{"kvlistValue":{"values":[{"key":"spans","value":{"arrayValue":{"values":[{},{}]}}}]}}}]`,
  }).replace('"resourceSpans":[{', '"resource_spans":[{"scope_spans":[{"sp\\u0061ns":[{"spanId":"00000000000000ff"}]}]},{'));
  const decoded = decodeOtlpBody(decoys, 'json');
  assert.ok(decoded.ok && decoded.value.spanCount === 401, decoded.ok ? `decoded ${decoded.value.spanCount}` : decoded.error.message);
  assert.ok(decodeOtlpBody(decoys, 'json', 401).ok, 'the decoys are not counted');
  const one = decodeOtlpBody(decoys, 'json', 400);
  assert.ok(!one.ok && one.error.kind === 'over_budget', 'the escaped key is');
});
