import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, err, errorMessage, isWardenError, ok, silentLogger, type Logger, type Result } from '../core/index.js';
import { Tables, type StoreDriver } from '../storage/index.js';
import { IngestMetrics } from './metrics.js';

export interface BatchWriterOptions {
  /** Unqualified table name in the store's database. */
  table?: string;
  /** Flush as soon as this many rows wait… */
  maxBatchRows?: number;
  /** …or this many bytes of JSONEachRow (also the cap on one insert). */
  maxBatchBytes?: number;
  /** …or when the oldest waiting row has waited this long. */
  flushIntervalMs?: number;
  /** Bound on accepted-but-unwritten rows; beyond it enqueue() refuses (429/503). */
  maxQueueRows?: number;
  maxQueueBytes?: number;
  /** Attempts for a batch the store rejects as a query error before it is dropped (logged, counted). */
  maxAttempts?: number;
  /** How long close() keeps trying to write what was accepted. */
  closeTimeoutMs?: number;
  logger?: Logger;
  metrics?: IngestMetrics;
}

/** A refusal to take more rows now; the receiver turns it into 429/503 + Retry-After. */
export interface Overload {
  status: 429 | 503;
  retryAfterSeconds: number;
  message: string;
}

interface Batch {
  text: string;
  rows: number;
  attempts: number;
}

// While one insert runs, the next batch grows: under load batches size themselves (up to
// maxBatchBytes), and when idle 10k rows or 1 s starts an insert.
const DEFAULTS = {
  maxBatchRows: 10_000,
  maxBatchBytes: 32 * 1024 * 1024,
  flushIntervalMs: 1000,
  maxQueueRows: 200_000,
  maxQueueBytes: 96 * 1024 * 1024,
  maxAttempts: 5,
  closeTimeoutMs: 30_000,
};
// Whatever the server's async_insert default, Warden batches in-process: one part per batch.
const INSERT_SETTINGS = { async_insert: 0 };

/**
 * Collects rows into few large JSONEachRow inserts (ClickHouse wants ~1 insert/s of
 * thousands of rows; chDB pays ~14 ms per insert). One insert runs at a time on the
 * writer's own connection. The queue is bounded: enqueue() refuses instead of growing,
 * nothing accepted is dropped silently, and close() writes what is left.
 */
export class BatchWriter {
  readonly metrics: IngestMetrics;
  private readonly opts: typeof DEFAULTS & { table: string };
  private readonly logger: Logger;
  private chunks: string[] = [];
  private chunkRows: number[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private inFlight: { batch: Batch; done: Promise<void> } | undefined;
  private failedBatch: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private closing = false;
  /** Set when close() gave up waiting: the flush loop stops instead of retrying forever. */
  private abandoned = false;
  private backoffMs = 250;

  constructor(private readonly store: StoreDriver, options: BatchWriterOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.opts = { ...DEFAULTS, table: Tables.OTEL_TRACES, ...defined } as typeof DEFAULTS & { table: string };
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new IngestMetrics();
    this.metrics.queue = () => ({ rows: this.queuedRows, bytes: this.queuedBytes });
  }

  /** Rows accepted and not yet written (waiting, in flight, or awaiting retry). */
  get queuedRows(): number {
    return this.pendingRows + (this.inFlight?.batch.rows ?? 0) + (this.waitingRetry()?.rows ?? 0);
  }

  get queuedBytes(): number {
    return this.pendingBytes + (this.inFlight?.batch.text.length ?? 0) + (this.waitingRetry()?.text.length ?? 0);
  }

  /** A failed batch not currently being (re)tried; during the retry back-off it is still in flight. */
  private waitingRetry(): Batch | undefined {
    return this.failedBatch === this.inFlight?.batch ? undefined : this.failedBatch;
  }

  /** Would `rows` more rows be admitted now? (`rows` 0 asks about the writer's state only.) */
  admission(rows: number, bytes = 0): Result<void, Overload> {
    if (this.closing) return err({ status: 503, retryAfterSeconds: 5, message: 'the receiver is shutting down' });
    const empty = this.queuedRows === 0; // one oversized request is still taken into an empty queue
    if (!empty && (this.queuedRows + rows > this.opts.maxQueueRows || this.queuedBytes + bytes > this.opts.maxQueueBytes)) {
      return this.failing
        ? err({ status: 503, retryAfterSeconds: 5, message: `the store is not accepting writes; ${this.queuedRows} rows are waiting` })
        : err({ status: 429, retryAfterSeconds: 1, message: `the write queue is full (${this.queuedRows} rows waiting)` });
    }
    return ok(undefined);
  }

  /** Accepts rows for writing, or refuses all of them (never some). */
  enqueue(rows: readonly object[]): Result<void, Overload> {
    if (rows.length === 0) return this.admission(0);
    let text = JSON.stringify(rows[0]);
    for (let i = 1; i < rows.length; i++) text += '\n' + JSON.stringify(rows[i]);
    const admitted = this.admission(rows.length, text.length);
    if (!admitted.ok) return admitted;
    this.chunks.push(text);
    this.chunkRows.push(rows.length);
    this.pendingRows += rows.length;
    this.pendingBytes += text.length;
    this.kick();
    return admitted;
  }

  /** Writes everything accepted so far and resolves when it is in the store. */
  async flush(): Promise<void> {
    while (!this.abandoned && (this.inFlight || this.failedBatch || this.pendingRows > 0)) {
      if (!this.inFlight) this.startInsert();
      await this.inFlight?.done;
    }
  }

  /** Stops accepting, writes what is queued (bounded by closeTimeoutMs); returns rows left unwritten. */
  async close(): Promise<{ unwrittenRows: number }> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let timeout: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), this.opts.closeTimeoutMs);
    });
    const outcome = await Promise.race([this.flush().then(() => 'done' as const), deadline]);
    clearTimeout(timeout);
    if (outcome === 'timeout') this.abandoned = true;
    const unwrittenRows = outcome === 'done' ? 0 : this.queuedRows;
    if (unwrittenRows > 0) this.logger.error('rows accepted but not written before shutdown', { rows: unwrittenRows });
    return { unwrittenRows };
  }

  private kick(): void {
    if (this.inFlight || this.closing) return;
    if (this.failedBatch || this.pendingRows >= this.opts.maxBatchRows || this.pendingBytes >= this.opts.maxBatchBytes) {
      this.startInsert();
    } else if (this.pendingRows > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.inFlight && this.pendingRows > 0) this.startInsert();
      }, this.opts.flushIntervalMs);
    }
  }

  private startInsert(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.failedBatch ?? this.takeBatch();
    this.failedBatch = undefined;
    if (!batch) return;
    const done = this.insert(batch).finally(() => {
      this.inFlight = undefined;
      if (!this.closing) this.kick();
    });
    this.inFlight = { batch, done };
  }

  private takeBatch(): Batch | undefined {
    if (this.chunks.length === 0) return undefined;
    let count = 0;
    let rows = 0;
    let bytes = 0;
    while (count < this.chunks.length && (count === 0 || bytes + (this.chunks[count] as string).length <= this.opts.maxBatchBytes)) {
      bytes += (this.chunks[count] as string).length + 1;
      rows += this.chunkRows[count] as number;
      count += 1;
    }
    const text = this.chunks.slice(0, count).join('\n');
    this.chunks = this.chunks.slice(count);
    this.chunkRows = this.chunkRows.slice(count);
    this.pendingRows -= rows;
    this.pendingBytes -= text.length - (count - 1);
    return { text, rows, attempts: 0 };
  }

  private async insert(batch: Batch): Promise<void> {
    const started = performance.now();
    try {
      await this.store.insertJsonEachRow(this.opts.table, batch.text, { settings: INSERT_SETTINGS });
      this.metrics.rowsWritten += batch.rows;
      this.metrics.batches += 1;
      this.metrics.observeBatch((performance.now() - started) / 1000);
      this.failing = false;
      this.backoffMs = 250;
    } catch (e) {
      await this.handleFailure(batch, e);
    }
  }

  private async handleFailure(batch: Batch, e: unknown): Promise<void> {
    this.metrics.insertFailures += 1;
    // A store that is down, or out of memory for the moment (the embedded engine's budget),
    // is waited for; a batch the store keeps refusing as bad data would block every later
    // row, so after a few attempts it is dropped: logged and counted.
    const busy = isMemoryLimit(e);
    if (!busy) batch.attempts += 1;
    if (!busy && isWardenError(e, ErrorCodes.STORE_QUERY) && batch.attempts >= this.opts.maxAttempts) {
      this.metrics.rowsDropped += batch.rows;
      this.logger.error('dropping a batch the store refused repeatedly', { rows: batch.rows, attempts: batch.attempts, error: errorMessage(e) });
      return;
    }
    this.failing = true;
    this.failedBatch = batch;
    if (this.abandoned) return;
    this.logger.warn('insert failed; will retry', { rows: batch.rows, attempt: batch.attempts, retryInMs: this.backoffMs, error: errorMessage(e) });
    await sleep(this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
  }
}

/** ClickHouse's MEMORY_LIMIT_EXCEEDED (code 241): the rows are fine, the engine is full right now. */
function isMemoryLimit(e: unknown): boolean {
  return /MEMORY_LIMIT_EXCEEDED|Code: 241\b/.test(errorMessage(e));
}
