import type { OtelTraceRow } from './row.js';

/** What a decoded OTLP request holds: rows to store, plus spans refused one by one. */
export interface DecodedTraces {
  rows: OtelTraceRow[];
  /** Every span in the request, accepted or not. */
  spanCount: number;
  /** Spans refused individually (answered with partial_success, never retried by clients). */
  rejectedSpans: number;
  /** Why the first refused span was refused. */
  rejectReason: string | undefined;
}

/**
 * Thrown by a decoder whose request holds more spans than its row budget (the write queue's
 * room): decoding stops there instead of materialising every row of a huge body first.
 */
export class OverBudgetError extends Error {
  constructor(readonly budget: number) {
    super(`the request holds more than ${budget} spans`);
  }
}

/** Accumulates rows while a decoder walks a request, up to `budget` spans. */
export class SpanCollector {
  private readonly rows: OtelTraceRow[] = [];
  private spanCount = 0;
  private rejected = 0;
  private reason: string | undefined;

  constructor(private readonly budget = Infinity) {}

  add(row: OtelTraceRow, problem: string | undefined): void {
    this.spanCount += 1;
    if (this.spanCount > this.budget) throw new OverBudgetError(this.budget);
    if (problem === undefined) {
      this.rows.push(row);
      return;
    }
    this.rejected += 1;
    this.reason ??= `span ${this.spanCount - 1} (${row.SpanName || 'unnamed'}): ${problem}`;
  }

  result(): DecodedTraces {
    return { rows: this.rows, spanCount: this.spanCount, rejectedSpans: this.rejected, rejectReason: this.reason };
  }
}
