import { DEFAULT_INGEST_LIMITS } from '../config/index.js';
import { errorMessage } from '../core/index.js';
import { toJsonEachRow, type BatchWriter, type Overload } from './batch-writer.js';
import { decodeOtlpBody, decompressBody, otlpEncodingOf, type DecodeFailure, type OtlpEncoding } from './decode.js';
import type { IngestMetrics } from './metrics.js';
import { RecentSpanIds, spanKey } from './recent-spans.js';
import type { OtelTraceRow } from './row.js';
import type { WriteAheadLog } from './wal.js';

/** What happened to one OTLP request; the HTTP route renders it in the request's encoding. */
export type ReceiveOutcome =
  | { kind: 'accepted'; encoding: OtlpEncoding; acceptedSpans: number; rejectedSpans: number; rejectReason: string | undefined }
  | { kind: 'refused'; encoding: OtlpEncoding | undefined; status: 400 | 413 | 415 | 429 | 503; message: string; retryAfterSeconds?: number };

export interface OtlpReceiverOptions {
  /** Limit on the decompressed body. */
  maxBodyBytes?: number;
  /** How many recent span ids are remembered for de-duplication. */
  recentSpanIds?: number;
  /** When set, a request is answered 200 only once its rows are appended and fsynced here. */
  wal?: WriteAheadLog;
}

/**
 * The receiving side of OTLP/HTTP traces, apart from HTTP itself: decompress, decode (no
 * further than the queue's room), drop recently seen spans, make the rest durable in the
 * write-ahead log and hand them to the batch writer (all or nothing), count.
 */
export class OtlpReceiver {
  private readonly recent: RecentSpanIds;
  private readonly maxBodyBytes: number;
  private readonly wal: WriteAheadLog | undefined;
  readonly metrics: IngestMetrics;

  constructor(readonly writer: BatchWriter, opts: OtlpReceiverOptions = {}) {
    this.recent = new RecentSpanIds(opts.recentSpanIds);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_INGEST_LIMITS.maxBodyBytes;
    this.wal = opts.wal;
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
    const budget = this.writer.roomRows;
    const decoded = decodeOtlpBody(plain.value, encoding, budget);
    if (!decoded.ok) {
      const { kind, message } = decoded.error;
      return kind === 'over_budget' ? this.overBudget(encoding, budget, message) : this.refused(encoding, kind, message);
    }
    const { rows, spanCount, rejectedSpans, rejectReason } = decoded.value;
    this.metrics.spansReceived += spanCount;
    const fresh = this.withoutRecent(rows);
    const stored = await this.store(fresh);
    if (stored !== undefined) {
      this.metrics.rejectSpans('overloaded', rows.length);
      return this.overloaded(encoding, stored);
    }
    this.metrics.spansAccepted += rows.length;
    this.metrics.spansDeduplicated += rows.length - fresh.length;
    this.metrics.rejectSpans('invalid_span', rejectedSpans);
    return { kind: 'accepted', encoding, acceptedSpans: rows.length, rejectedSpans, rejectReason };
  }

  /** Reserves queue room, appends to the WAL (fsynced), then queues: undefined once durable. */
  private async store(fresh: OtelTraceRow[]): Promise<Overload | undefined> {
    if (fresh.length === 0) {
      const state = this.writer.admission(0);
      return state.ok ? undefined : state.error;
    }
    const text = toJsonEachRow(fresh);
    const reserved = this.writer.reserve(fresh.length, text.length);
    if (!reserved.ok) return reserved.error;
    let segment: number | undefined;
    try {
      segment = this.wal ? await this.wal.append(Buffer.from(text), fresh.length) : undefined;
    } catch (e) {
      reserved.value.cancel();
      return { status: 503, retryAfterSeconds: 5, message: `cannot write the write-ahead log: ${errorMessage(e)}` };
    }
    reserved.value.commit(text, segment);
    for (const row of fresh) this.recent.add(spanKey(row.TraceId, row.SpanId));
    return undefined;
  }

  /** More spans than the queue has room for: retry later, or never if it exceeds the whole queue. */
  private overBudget(encoding: OtlpEncoding, budget: number, message: string): ReceiveOutcome {
    this.metrics.rejectSpans('overloaded', budget);
    if (budget >= this.writer.maxQueueRows) return { kind: 'refused', encoding, status: 413, message: `${message} (the write queue holds ${this.writer.maxQueueRows}); send smaller requests` };
    const state = this.writer.admission(this.writer.maxQueueRows);
    const overload = state.ok ? { status: 429 as const, retryAfterSeconds: 1, message: '' } : state.error;
    return this.overloaded(encoding, { ...overload, message: `${message}, more than the write queue has room for now` });
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

  private refused(encoding: OtlpEncoding, kind: DecodeFailure['kind'], message: string): ReceiveOutcome {
    const status = kind === 'unsupported_type' ? 415 : kind === 'too_large' ? 413 : 400; // over_budget is answered by overBudget()
    return { kind: 'refused', encoding, status, message };
  }

  private overloaded(encoding: OtlpEncoding, overload: Overload): ReceiveOutcome {
    return { kind: 'refused', encoding, status: overload.status, message: overload.message, retryAfterSeconds: overload.retryAfterSeconds };
  }
}
