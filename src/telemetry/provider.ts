import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_EXPORT_BATCH_SPANS, DEFAULT_EXPORT_DELAY_MS, DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_ROOT, type RecordArgsMode } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { RecordingDecisionRecorder, type DecisionRecorder } from './recorder.js';
import { SpanWriter } from './span-writer.js';
import { Attr, SCOPE_NAME, SERVICE_NAME } from './semconv.js';
import { EncodingSpanProcessor, type EncodedSpanSink } from './encoding-span-processor.js';
import { DiskSpool } from './spool.js';
import { SpoolingOtlpExporter, postOtlpBody } from './spooling-exporter.js';

export interface TelemetryOptions {
  recordArgs: RecordArgsMode;
  /** Key of the argument hash (HMAC-SHA256); without it, plain sha256. */
  argsHashKey?: Uint8Array | undefined;
  logger: Logger;
  /** OTLP/HTTP traces URL (…/v1/traces). Ignored when `exporter` is given. */
  tracesUrl?: string;
  /** Headers on every OTLP request (live and spooled), e.g. Authorization for warden serve. */
  headers?: Record<string, string>;
  spoolDir?: string;
  spoolMaxBytes?: number;
  /** Replaces the OTLP + spool chain (tests hand in the SDK's InMemorySpanExporter). */
  exporter?: SpanExporter;
  /** Replaces the OTLP + spool chain behind the span encoder (the proxy's warm-up drops what it encodes). */
  encodedSink?: EncodedSpanSink;
  /** Batch delay; spans reach the endpoint at most this late. */
  scheduledDelayMillis?: number;
  /** A batch is sent once it holds this many spans. */
  maxBatchSpans?: number;
  /** While the endpoint is down, how often a spooled file is offered again. */
  retryIntervalMs?: number;
  serviceVersion?: string;
}

export interface Telemetry {
  recorder: DecisionRecorder;
  /** Present with the OTLP chain: what is waiting on disk and what was dropped. */
  spool: DiskSpool | undefined;
}

const LIVE_EXPORT_TIMEOUT_MS = 2_000;

/** The recorder the proxy uses: each finished call becomes a record, each record an OTel span. */
export function createTelemetry(opts: TelemetryOptions): Telemetry {
  const { writer, spool } = createSpanWriter(opts);
  return { recorder: new RecordingDecisionRecorder(writer, opts.logger), spool };
}

/**
 * The OTel SDK pipeline: BasicTracerProvider → EncodingSpanProcessor (each span encoded to OTLP
 * protobuf as it ends, batched) → SpoolingOtlpExporter (OTLP/HTTP, with the disk spool). Span
 * export is off the call path. With `exporter` (tests), the SDK's BatchSpanProcessor feeds it.
 */
export function createSpanWriter(opts: TelemetryOptions): { writer: SpanWriter; spool: DiskSpool | undefined } {
  let spool: DiskSpool | undefined;
  let processor: SpanProcessor;
  const scheduledDelayMillis = opts.scheduledDelayMillis ?? DEFAULT_EXPORT_DELAY_MS;
  const maxBatchSpans = opts.maxBatchSpans ?? DEFAULT_EXPORT_BATCH_SPANS;
  if (opts.exporter) {
    processor = new BatchSpanProcessor(opts.exporter, { maxQueueSize: 16_384, maxExportBatchSize: maxBatchSpans, scheduledDelayMillis, exportTimeoutMillis: 30_000 });
  } else if (opts.encodedSink) {
    processor = new EncodingSpanProcessor(opts.encodedSink, { maxBatchSpans, scheduledDelayMillis, logger: opts.logger });
  } else {
    const tracesUrl = opts.tracesUrl ?? 'http://127.0.0.1:4318/v1/traces';
    spool = new DiskSpool(opts.spoolDir ?? `${DEFAULT_SPOOL_ROOT}/default`, opts.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES, opts.logger);
    const spooling = new SpoolingOtlpExporter({
      spool,
      deliver: (body, live) => postOtlpBody(tracesUrl, body, live ? LIVE_EXPORT_TIMEOUT_MS : undefined, opts.headers),
      retryIntervalMs: opts.retryIntervalMs ?? 2_000,
      logger: opts.logger,
    });
    spooling.start();
    processor = new EncodingSpanProcessor(spooling, { maxBatchSpans, scheduledDelayMillis, logger: opts.logger });
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [Attr.SERVICE_NAME]: SERVICE_NAME, 'service.version': opts.serviceVersion ?? '0.1.0' }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer(SCOPE_NAME, opts.serviceVersion ?? '0.1.0');
  return { writer: new SpanWriter(tracer, opts.recordArgs, provider, opts.argsHashKey), spool };
}
