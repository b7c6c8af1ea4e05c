import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtoWriter } from '../core/index.js';
import { writeResourceSpans, writeSpan } from './otlp-trace-encoder.js';

/** Room for a batch of 512 typical call spans (about 900 bytes each). */
const SPAN_BUFFER_BYTES = 512 * 1024;

/**
 * Builds one OTLP `ExportTraceServiceRequest` a span at a time: each span is encoded the moment
 * it is added, so the SDK's span object can die young instead of waiting for the batch in the
 * heap (at thousands of calls a second, the waiting spans were what V8's young-generation
 * collections copied, and what its old generation then had to mark). The finished request has
 * the bytes `encodeTraceRequest` writes for the same spans. One batch holds one resource and
 * one instrumentation scope, which is all a proxy has; `accepts` says when to finish first.
 */
export class SpanBatchEncoder {
  private readonly spans = new ProtoWriter(SPAN_BUFFER_BYTES);
  private resource: Resource | undefined;
  private scope: InstrumentationScope | undefined;
  private spanCount = 0;

  get count(): number {
    return this.spanCount;
  }

  /** Encoded span bytes so far (the request adds the resource and scope). */
  get bytes(): number {
    return this.spans.pos;
  }

  accepts(span: ReadableSpan): boolean {
    return this.spanCount === 0 || (span.resource === this.resource && span.instrumentationScope === this.scope);
  }

  /** Encodes the span into the batch; on a throw the batch is as it was. */
  add(span: ReadableSpan): void {
    if (!this.accepts(span)) throw new Error('span from another resource or scope: finish the batch first');
    const before = this.spans.pos;
    try {
      writeSpan(this.spans, span);
    } catch (error) {
      this.spans.pos = before;
      throw error;
    }
    if (this.spanCount === 0) {
      this.resource = span.resource;
      this.scope = span.instrumentationScope;
    }
    this.spanCount++;
  }

  /** The request for the spans added since the last finish (empty for none); starts a new batch, even on a throw. */
  finish(): Uint8Array {
    const { resource, scope } = this;
    const count = this.spanCount;
    this.spanCount = 0;
    this.resource = undefined;
    this.scope = undefined;
    try {
      return count === 0 || !resource || !scope ? new Uint8Array(0) : this.request(resource, scope);
    } finally {
      this.spans.reset(SPAN_BUFFER_BYTES);
    }
  }

  private request(resource: Resource, scope: InstrumentationScope): Uint8Array {
    const w = new ProtoWriter(this.spans.pos + 1024);
    const encoded = this.spans.finish();
    writeResourceSpans(w, resource, [[scope, () => w.raw(encoded)]]);
    return w.finish();
  }
}
