import type { BatchWriter } from './batch-writer.js';
import { DEFAULT_MAX_BODY_BYTES, decodeOtlpBody, decompressBody, otlpEncodingOf, type OtlpEncoding } from './decode.js';
import type { IngestMetrics } from './metrics.js';
import { RecentSpanIds, spanKey } from './recent-spans.js';
import type { OtelTraceRow } from './row.js';

/** What happened to one OTLP request; the HTTP route renders it in the request's encoding. */
export type ReceiveOutcome =
  | { kind: 'accepted'; encoding: OtlpEncoding; acceptedSpans: number; rejectedSpans: number; rejectReason: string | undefined }
  | { kind: 'refused'; encoding: OtlpEncoding | undefined; status: 400 | 413 | 415 | 429 | 503; message: string; retryAfterSeconds?: number };

export interface OtlpReceiverOptions {
  /** Limit on the decompressed body. */
  maxBodyBytes?: number;
  /** How many recent span ids are remembered for de-duplication. */
  recentSpanIds?: number;
}

/**
 * The receiving side of OTLP/HTTP traces, apart from HTTP itself: decompress, decode,
 * drop recently seen spans, hand the rest to the batch writer (all or nothing), count.
 */
export class OtlpReceiver {
  private readonly recent: RecentSpanIds;
  private readonly maxBodyBytes: number;
  readonly metrics: IngestMetrics;

  constructor(readonly writer: BatchWriter, opts: OtlpReceiverOptions = {}) {
    this.recent = new RecentSpanIds(opts.recentSpanIds);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.metrics = writer.metrics;
  }

  async receive(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): Promise<ReceiveOutcome> {
    const encoding = otlpEncodingOf(contentType);
    if (!encoding) {
      return { kind: 'refused', encoding, status: 415, message: `unsupported Content-Type "${contentType ?? ''}" (use application/x-protobuf or application/json)` };
    }
    // Refuse before decoding when the writer is already saturated: the client retries later.
    const early = this.writer.admission(0);
    if (!early.ok) return this.overloaded(encoding, early.error);
    const plain = await decompressBody(body, contentEncoding, this.maxBodyBytes);
    if (!plain.ok) return this.refused(encoding, plain.error.kind, plain.error.message);
    if (plain.value.length > this.maxBodyBytes) return this.refused(encoding, 'too_large', `body exceeds ${this.maxBodyBytes} bytes`);
    const decoded = decodeOtlpBody(plain.value, encoding);
    if (!decoded.ok) return this.refused(encoding, decoded.error.kind, decoded.error.message);
    const { rows, spanCount, rejectedSpans, rejectReason } = decoded.value;
    this.metrics.spansReceived += spanCount;
    const fresh = this.withoutRecent(rows);
    const queued = this.writer.enqueue(fresh);
    if (!queued.ok) {
      this.metrics.rejectSpans('overloaded', rows.length);
      return this.overloaded(encoding, queued.error);
    }
    for (const row of fresh) this.recent.add(spanKey(row.TraceId, row.SpanId));
    this.metrics.spansAccepted += rows.length;
    this.metrics.spansDeduplicated += rows.length - fresh.length;
    this.metrics.rejectSpans('invalid_span', rejectedSpans);
    return { kind: 'accepted', encoding, acceptedSpans: rows.length, rejectedSpans, rejectReason };
  }

  /** Drops spans seen recently, including repeats inside this request. */
  private withoutRecent(rows: OtelTraceRow[]): OtelTraceRow[] {
    const fresh: OtelTraceRow[] = [];
    const inRequest = new Set<string>();
    for (const row of rows) {
      const key = spanKey(row.TraceId, row.SpanId);
      if (this.recent.has(key) || inRequest.has(key)) continue;
      inRequest.add(key);
      fresh.push(row);
    }
    return fresh;
  }

  private refused(encoding: OtlpEncoding, kind: 'unsupported_type' | 'too_large' | 'bad_data', message: string): ReceiveOutcome {
    const status = kind === 'unsupported_type' ? 415 : kind === 'too_large' ? 413 : 400;
    return { kind: 'refused', encoding, status, message };
  }

  private overloaded(encoding: OtlpEncoding, overload: { status: 429 | 503; retryAfterSeconds: number; message: string }): ReceiveOutcome {
    return { kind: 'refused', encoding, status: overload.status, message: overload.message, retryAfterSeconds: overload.retryAfterSeconds };
  }
}
