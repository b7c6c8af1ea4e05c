import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriter, OtlpReceiver } from '../../../src/ingest/index.js';
import { qualified, type StoreDriver } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';
import { asProtobuf, sdkSpans } from '../../helpers/sdk-otlp-bodies.js';

const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    Timestamp: '1795639433609000123',
    TraceId: (from + i).toString(16).padStart(32, '0'),
    SpanId: (from + i + 1).toString(16).padStart(16, '0'),
    SpanName: 'op',
  }));

async function count(store: StoreDriver): Promise<number> {
  const [row] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(store.database, 'otel_traces')}`);
  return row?.n ?? -1;
}

async function withStore(fn: (store: StoreDriver) => Promise<void>): Promise<void> {
  const store = await openTestStore();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

test('a full batch is written at once, as one insert', () => withStore(async (store) => {
  const writer = new BatchWriter(store, { maxBatchRows: 100, flushIntervalMs: 60_000 });
  assert.ok(writer.enqueue(rows(60)).ok);
  assert.ok(writer.enqueue(rows(60, 60)).ok);
  for (let i = 0; i < 100 && writer.metrics.rowsWritten < 120; i++) await sleep(20);
  assert.equal(await count(store), 120);
  assert.equal(writer.metrics.batches, 1);
  await writer.close();
}));

test('a partial batch is written after the flush interval', () => withStore(async (store) => {
  const writer = new BatchWriter(store, { maxBatchRows: 10_000, flushIntervalMs: 100 });
  assert.ok(writer.enqueue(rows(3)).ok);
  assert.equal(writer.queuedRows, 3);
  for (let i = 0; i < 100 && writer.metrics.rowsWritten < 3; i++) await sleep(20);
  assert.equal(await count(store), 3);
  assert.equal(writer.queuedRows, 0);
  await writer.close();
}));

test('the queue is bounded: beyond it enqueue refuses everything with 429, and close writes what was accepted', () => withStore(async (store) => {
  const writer = new BatchWriter(store, { maxBatchRows: 10_000, flushIntervalMs: 60_000, maxQueueRows: 5 });
  assert.ok(writer.enqueue(rows(5)).ok);
  const refused = writer.enqueue(rows(1, 5));
  assert.ok(!refused.ok);
  assert.equal(refused.error.status, 429);
  assert.equal(refused.error.retryAfterSeconds, 1);
  assert.equal(writer.queuedRows, 5);
  assert.deepEqual(await writer.close(), { unwrittenRows: 0 });
  assert.equal(await count(store), 5);
  const closed = writer.enqueue(rows(1, 10));
  assert.ok(!closed.ok && closed.error.status === 503);
}));

test('a store fault is waited out: 503 while the backlog is full, one log line, nothing dropped, all rows land on recovery', () => withStore(async (store) => {
  const logged: string[] = [];
  const logger = { debug() {}, info(m: string) { logged.push(m); }, warn(m: string) { logged.push(m); }, error(m: string) { logged.push(m); }, child() { return logger; } };
  const writer = new BatchWriter(store, { table: 'late_table', maxBatchRows: 2, flushIntervalMs: 60_000, maxQueueRows: 2, logger });
  assert.ok(writer.enqueue(rows(2)).ok);
  for (let i = 0; i < 100 && writer.metrics.insertFailures < 3; i++) await sleep(50);
  assert.ok(writer.metrics.insertFailures >= 3, 'retried again and again');
  const refused = writer.enqueue(rows(1, 2));
  assert.ok(!refused.ok);
  assert.equal(refused.error.status, 503);
  assert.match(writer.notReadyReason ?? '', /refuses writes \(UNKNOWN_TABLE\)/);
  assert.equal(logged.filter((m) => /not accepting writes/.test(m)).length, 1, 'one line per fault, not per retry');
  await store.command(`CREATE TABLE ${qualified(store.database, 'late_table')} AS ${qualified(store.database, 'otel_traces')}`);
  await writer.flush();
  assert.equal(writer.notReadyReason, undefined);
  assert.ok(logged.includes('the store accepts writes again'));
  const [row] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(store.database, 'late_table')}`);
  assert.equal(row?.n, 2);
  assert.match(writer.metrics.toPrometheus(), /warden_rows_dropped_total 0\n/);
  await writer.close();
}));

test('an insert refused for memory (the engine budget) is retried until it fits, never dropped', () => withStore(async (store) => {
  await store.command('SET max_memory_usage = 1000');
  const writer = new BatchWriter(store, { maxBatchRows: 3, flushIntervalMs: 60_000 });
  assert.ok(writer.enqueue(rows(3)).ok);
  for (let i = 0; i < 150 && writer.metrics.insertFailures < 3; i++) await sleep(20);
  assert.ok(writer.metrics.insertFailures >= 3, 'the insert keeps failing on memory');
  assert.equal(writer.metrics.rowsDeadLettered, 0);
  // The writer is in its back-off now; give the engine room and the same batch goes in.
  await store.command('SET max_memory_usage = 0');
  await writer.flush();
  assert.equal(writer.metrics.rowsDeadLettered, 0);
  assert.equal(await count(store), 3);
  await writer.close();
}));

test('a redelivered request is not inserted twice', () => withStore(async (store) => {
  const writer = new BatchWriter(store, { flushIntervalMs: 60_000 });
  const receiver = new OtlpReceiver(writer);
  const body = asProtobuf(await sdkSpans());
  for (let i = 0; i < 3; i++) {
    const outcome = await receiver.receive(body, 'application/x-protobuf', undefined);
    assert.equal(outcome.kind, 'accepted');
  }
  await writer.close();
  assert.equal(await count(store), 2);
  assert.equal(receiver.metrics.spansDeduplicated, 4);
  assert.equal(receiver.metrics.spansReceived, 6);
}));

test('close gives up after its timeout, reports what was not written, and stops retrying', () => withStore(async (store) => {
  const errors: Array<Record<string, unknown> | undefined> = [];
  const logger = { debug() {}, info() {}, warn() {}, error(_m: string, f?: Record<string, unknown>) { errors.push(f); }, child() { return logger; } };
  const writer = new BatchWriter(store, { table: 'no_such_table', maxBatchRows: 1, closeTimeoutMs: 400, logger });
  assert.ok(writer.enqueue(rows(4)).ok);
  const started = Date.now();
  assert.deepEqual(await writer.close(), { unwrittenRows: 4 });
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(errors.at(-1), { rows: 4 });
  const failures = writer.metrics.insertFailures;
  await sleep(1500);
  assert.ok(writer.metrics.insertFailures <= failures + 1, 'no retry loop after close gave up');
}));
