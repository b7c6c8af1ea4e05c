import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeTraceRequest } from '../../../src/telemetry/otlp-trace-encoder.js';
import { fillSpans, sdkSpans } from '../../helpers/sdk-spans.js';

describe('OTLP trace encoder', () => {
  it('writes the same bytes as the OTel exporter\'s own ProtobufTraceSerializer, for every field and value shape', () => {
    const first = sdkSpans('warden-proxy');
    const second = sdkSpans('another-service');
    fillSpans(first.tracers, 40);
    fillSpans(second.tracers, 3);
    const spans = [...first.spans(), ...second.spans()];
    for (const batch of [spans.slice(0, 1), spans.slice(0, 7), spans]) {
      const ours = Buffer.from(encodeTraceRequest(batch));
      const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) ?? new Uint8Array());
      assert.ok(reference.length > 0);
      assert.equal(ours.toString('hex'), reference.toString('hex'), `batch of ${batch.length}`);
    }
  });

  it('keeps writing the same bytes once span attributes come from its cache, and when a key stops being cacheable', () => {
    const { tracers, spans } = sdkSpans('warden-proxy');
    fillSpans(tracers, 600); // jsonrpc.request.id takes more distinct values than the cache keeps
    const all = spans();
    for (let from = 0; from < all.length; from += 250) {
      const batch = all.slice(from, from + 250);
      assert.ok(Buffer.from(encodeTraceRequest(batch)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!)), `batch at ${from}`);
    }
  });

  it('encodes nothing for no spans', () => {
    assert.equal(encodeTraceRequest([]).length, 0);
  });
});
