import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_INGEST_LIMITS } from '../config/index.js';
import { err, ok, silentLogger, type Logger, type Result } from '../core/index.js';
import { Tables, classifyInsertFailure, type StoreDriver } from '../storage/index.js';
import type { DeadLetterDir } from './dead-letter.js';
import { IngestMetrics } from './metrics.js';
import { insertSalvaging } from './salvage.js';
import { PendingChunks, type Batch, type Chunk } from './pending-chunks.js';
import type { WriteAheadLog } from './wal.js';
import { WriteFaults } from './write-faults.js';

export interface BatchWriterOptions {
  /** Unqualified table name in the store's database. */
  table?: string;
  /** Flush as soon as this many rows wait… */
  maxBatchRows?: number;
  /** …or this many bytes of JSONEachRow (also the cap on one insert). */
  maxBatchBytes?: number;
  /** …or when the oldest waiting row has waited this long. */
  flushIntervalMs?: number;
  /** Bound on accepted-but-unwritten rows; beyond it admission refuses (429/503). */
  maxQueueRows?: number;
  maxQueueBytes?: number;
  /** How long close() keeps trying to write what was accepted (what is left stays in the WAL). */
  closeTimeoutMs?: number;
  /** Where accepted rows are durable until written; told when they are in the store. */
  wal?: WriteAheadLog;
  /** Where rows the store refuses as bad data go. Without it they wait like a store fault. */
  deadLetters?: DeadLetterDir;
  logger?: Logger;
  metrics?: IngestMetrics;
}

/** A refusal to take more rows now; the receiver turns it into 429/503 + Retry-After. */
export interface Overload {
  status: 429 | 503;
  retryAfterSeconds: number;
  message: string;
}

/** Room held for rows on their way into the WAL; commit() queues them, cancel() gives the room back. */
export interface Reservation {
  commit(text: string, walSegment: number | undefined): void;
  cancel(): void;
}

// While one insert runs, the next batch grows: under load batches size themselves (up to
// maxBatchBytes), and when idle 10k rows or 1 s starts an insert.
const DEFAULTS = {
  maxBatchRows: DEFAULT_INGEST_LIMITS.maxBatchRows,
  maxBatchBytes: 32 * 1024 * 1024,
  flushIntervalMs: DEFAULT_INGEST_LIMITS.flushIntervalMs,
  maxQueueRows: DEFAULT_INGEST_LIMITS.maxQueueRows,
  maxQueueBytes: 96 * 1024 * 1024,
  closeTimeoutMs: 30_000,
};
// Whatever the server's async_insert default, Warden batches in-process: one part per batch.
export const INSERT_SETTINGS = { async_insert: 0 };

/**
 * Collects rows into few large JSONEachRow inserts (ClickHouse wants ~1 insert/s of
 * thousands of rows; chDB pays ~14 ms per insert). One insert runs at a time on the
 * writer's own connection. The queue is bounded: admission refuses instead of growing.
 * Nothing accepted is dropped: a store fault is retried with back-off for as long as it
 * lasts (logged once per fault), and only rows the store refuses as bad data leave the
 * queue without being written: found by bisection and put in the dead-letter directory.
 */
export class BatchWriter {
  readonly metrics: IngestMetrics;
  private readonly opts: typeof DEFAULTS & { table: string };
  private readonly logger: Logger;
  private readonly wal: WriteAheadLog | undefined;
  private readonly deadLetters: DeadLetterDir | undefined;
  private readonly pending = new PendingChunks();
  private reservedRows = 0;
  private reservedBytes = 0;
  private inFlight: { batch: Batch; done: Promise<void> } | undefined;
  private failedBatch: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly faults: WriteFaults;
  private closing = false;
  /** Set when close() gave up waiting: the flush loop stops instead of retrying forever. */
  private abandoned = false;
  /** Rows read back from the WAL at start and not yet written: not ready until they are. */
  private replayRowsLeft = 0;

  constructor(private readonly store: StoreDriver, options: BatchWriterOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.opts = { ...DEFAULTS, table: Tables.OTEL_TRACES, ...defined } as typeof DEFAULTS & { table: string };
    this.logger = options.logger ?? silentLogger;
    this.wal = options.wal;
    this.deadLetters = options.deadLetters;
    this.faults = new WriteFaults(this.logger, this.wal?.dir);
    this.metrics = options.metrics ?? new IngestMetrics();
    this.metrics.backlog = () => ({
      rows: this.queuedRows, bytes: this.queuedBytes, walBytes: this.wal?.bytes ?? 0, oldestSeconds: this.oldestUnwrittenSeconds(),
    });
  }

  /** Rows accepted and not yet written (reserved, waiting, in flight, or awaiting retry). */
  get queuedRows(): number {
    return this.reservedRows + this.pending.rows + (this.inFlight?.batch.rows ?? 0) + (this.waitingRetry()?.rows ?? 0);
  }

  get queuedBytes(): number {
    return this.reservedBytes + this.pending.bytes + (this.inFlight?.batch.text.length ?? 0) + (this.waitingRetry()?.text.length ?? 0);
  }

  /** How many more rows admission would take now (the decoder's budget). */
  get roomRows(): number {
    return this.queuedRows === 0 ? this.opts.maxQueueRows : Math.max(0, this.opts.maxQueueRows - this.queuedRows);
  }

  get maxQueueRows(): number {
    return this.opts.maxQueueRows;
  }

  /** Why ingest is not ready (the store refuses writes, or the WAL is being replayed), or undefined. */
  get notReadyReason(): string | undefined {
    if (this.faults.active) return `the store refuses writes (${this.faults.kind}) since ${new Date(this.faults.since ?? 0).toISOString()}; ${this.queuedRows} rows wait`;
    if (this.replayRowsLeft > 0) return `writing ${this.replayRowsLeft} rows from the write-ahead log`;
    return undefined;
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
      return this.faults.active
        ? err({ status: 503, retryAfterSeconds: 5, message: `the store is not accepting writes (${this.faults.kind}); ${this.queuedRows} rows are waiting` })
        : err({ status: 429, retryAfterSeconds: 1, message: `the write queue is full (${this.queuedRows} rows waiting)` });
    }
    return ok(undefined);
  }

  /** Holds room for `rows` rows (all or none) while they are made durable. */
  reserve(rows: number, bytes: number): Result<Reservation, Overload> {
    const admitted = this.admission(rows, bytes);
    if (!admitted.ok) return admitted;
    this.reservedRows += rows;
    this.reservedBytes += bytes;
    let open = true;
    const release = () => {
      if (!open) return false;
      open = false;
      this.reservedRows -= rows;
      this.reservedBytes -= bytes;
      return true;
    };
    return ok({
      commit: (text, segment) => {
        if (release()) this.push({ text, rows, segment, acceptedAt: Date.now(), replayed: false });
      },
      cancel: () => void release(),
    });
  }

  /** Accepts rows for writing (no WAL), or refuses all of them (never some). */
  enqueue(rows: readonly object[]): Result<void, Overload> {
    if (rows.length === 0) return this.admission(0);
    const text = toJsonEachRow(rows);
    const reserved = this.reserve(rows.length, text.length);
    if (!reserved.ok) return reserved;
    reserved.value.commit(text, undefined);
    return ok(undefined);
  }

  /** Rows read back from the WAL at start: taken whatever the queue holds (they were acknowledged). */
  enqueueReplayed(text: string, rows: number, segment: number): void {
    this.replayRowsLeft += rows;
    this.push({ text, rows, segment, acceptedAt: Date.now(), replayed: true });
  }

  /** Writes everything accepted so far and resolves when it is in the store. */
  async flush(): Promise<void> {
    while (!this.abandoned && (this.inFlight || this.failedBatch || this.pending.rows > 0)) {
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
    if (unwrittenRows > 0) {
      if (this.wal) this.logger.warn('rows not written before shutdown stay in the write-ahead log and are written on the next start', { rows: unwrittenRows, wal: this.wal.dir });
      else this.logger.error('rows accepted but not written before shutdown', { rows: unwrittenRows });
    }
    return { unwrittenRows };
  }

  private push(chunk: Chunk): void {
    this.pending.push(chunk);
    this.kick();
  }

  private oldestUnwrittenSeconds(): number {
    const oldest = Math.min(this.inFlight?.batch.oldest ?? Infinity, this.failedBatch?.oldest ?? Infinity, this.pending.oldestAcceptedAt ?? Infinity);
    return oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
  }

  private kick(): void {
    if (this.inFlight || this.closing) return;
    if (this.failedBatch || this.replayRowsLeft > 0 || this.pending.rows >= this.opts.maxBatchRows || this.pending.bytes >= this.opts.maxBatchBytes) {
      this.startInsert();
    } else if (this.pending.rows > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.inFlight && this.pending.rows > 0) this.startInsert();
      }, this.opts.flushIntervalMs);
    }
  }

  private startInsert(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.failedBatch ?? this.pending.take(this.opts.maxBatchBytes);
    this.failedBatch = undefined;
    if (!batch) return;
    const done = this.insert(batch).finally(() => {
      this.inFlight = undefined;
      if (!this.closing) this.kick();
    });
    this.inFlight = { batch, done };
  }

  private insertText(text: string): Promise<void> {
    return this.store.insertJsonEachRow(this.opts.table, text, { settings: INSERT_SETTINGS });
  }

  private async insert(batch: Batch): Promise<void> {
    const started = performance.now();
    try {
      await this.insertText(batch.text);
      this.metrics.rowsWritten += batch.rows;
      this.metrics.batches += 1;
      this.metrics.observeBatch((performance.now() - started) / 1000);
      this.handled(batch);
    } catch (e) {
      this.metrics.insertFailures += 1;
      if (this.deadLetters && classifyInsertFailure(e) === 'bad_data') await this.salvage(batch, this.deadLetters);
      else await this.waitOut(batch, e);
    }
  }

  /** The store refused the batch as bad data: land the good rows, dead-letter the bad ones. */
  private async salvage(batch: Batch, deadLetters: DeadLetterDir): Promise<void> {
    let outcome;
    try {
      outcome = await insertSalvaging(batch.text.split('\n'), (text) => this.insertText(text), async (lines, reason) => {
        const file = await deadLetters.write(lines, reason);
        this.logger.error('the store refused rows as bad data; they are in the dead-letter directory (replay with `warden ingest replay`)', { rows: lines.length, file, reason });
      });
    } catch (e) {
      return this.waitOut(batch, e); // the dead-letter file could not be written: keep everything
    }
    this.metrics.rowsWritten += outcome.landed;
    this.metrics.rowsDeadLettered += outcome.deadLettered;
    if (!outcome.pending) return this.handled(batch);
    // The store stopped taking writes part-way: what was not tried yet waits like any batch.
    batch.text = outcome.pending.lines.join('\n');
    batch.rows = outcome.pending.lines.length;
    return this.waitOut(batch, outcome.pending.error);
  }

  /** Every row of the batch is in the store or the dead-letter directory. */
  private handled(batch: Batch): void {
    for (const [segment, rows] of batch.segments) this.wal?.written(segment, rows);
    this.replayRowsLeft -= batch.replayedRows;
    this.faults.succeeded();
  }

  /** A store fault: keep the batch and try again after a back-off, for as long as it takes. */
  private async waitOut(batch: Batch, e: unknown): Promise<void> {
    const wait = this.faults.failed(e, this.queuedRows + (this.inFlight ? 0 : batch.rows));
    this.failedBatch = batch;
    if (!this.abandoned) await sleep(wait);
  }
}

/** Rows as JSONEachRow text: one JSON object per line. */
export function toJsonEachRow(rows: readonly object[]): string {
  let text = JSON.stringify(rows[0]);
  for (let i = 1; i < rows.length; i++) text += '\n' + JSON.stringify(rows[i]);
  return text;
}
