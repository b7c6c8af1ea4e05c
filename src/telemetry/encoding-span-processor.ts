import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../core/index.js';
import { SpanBatchEncoder } from './otlp-span-batch.js';

/** Where finished OTLP request bodies go (the spooling exporter). Never throws. */
export interface EncodedSpanSink {
  exportBody(body: Uint8Array, spans: number): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodingSpanProcessorOptions {
  /** A batch is sent once it holds this many spans… */
  maxBatchSpans?: number;
  /** …or this many encoded bytes… */
  maxBatchBytes?: number;
  /** …or this long after its first span. */
  scheduledDelayMillis?: number;
  logger: Logger;
}

/**
 * The proxy's span processor: the SDK's BatchSpanProcessor, except that each span is encoded to
 * OTLP protobuf when it ends rather than held as an object until its batch is exported. The
 * encoding then runs just after each reply instead of once per batch, which costs a little per
 * call; what it buys is the heap. A batch waiting 200 ms is a few hundred kilobytes of bytes
 * outside the JS heap instead of hundreds of span objects that every young-generation
 * collection copied and the old generation then marked, on helper threads that compete with
 * the agent and the server for the same cores (BENCHMARKS.md, proxy: p99 and RSS at 2,000
 * calls/s both fell).
 */
export class EncodingSpanProcessor implements SpanProcessor {
  private readonly batch = new SpanBatchEncoder();
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private encodeFailures = 0;
  private batchFailures = 0;

  constructor(private readonly sink: EncodedSpanSink, private readonly opts: EncodingSpanProcessorOptions) {
    this.maxBatchSpans = opts.maxBatchSpans ?? 512;
    this.maxBatchBytes = opts.maxBatchBytes ?? 4 * 1024 * 1024;
    this.delayMs = opts.scheduledDelayMillis ?? 200;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (!this.batch.accepts(span)) this.send();
    try {
      this.batch.add(span);
    } catch (error) {
      // A span that cannot be encoded is lost alone; the batch and the caller go on.
      if (this.encodeFailures++ === 0) this.opts.logger.warn('could not encode a span; dropping it', { span: span.name, error: String(error) });
      return;
    }
    if (this.batch.count >= this.maxBatchSpans || this.batch.bytes >= this.maxBatchBytes) this.send();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.send(), this.delayMs);
      this.timer.unref();
    }
  }

  forceFlush(): Promise<void> {
    this.send();
    return this.sink.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.send();
    this.stopped = true;
    await this.sink.shutdown();
  }

  /** Never throws: it runs inside span.end() and from a timer, where a throw would reach the caller or end the process. */
  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.batch.count;
    if (spans === 0) return;
    let body: Uint8Array;
    try {
      body = this.batch.finish();
    } catch (error) {
      if (this.batchFailures++ === 0) this.opts.logger.warn('could not encode a batch of spans; dropping it', { spans, error: String(error) });
      return;
    }
    this.sink.exportBody(body, spans);
  }
}

