// Trust rule 6 against a store that fails: the real chDB driver wrapped so its inserts throw
// ClickHouse's real fault codes for a while (nothing dropped, 503 + Retry-After while the
// backlog is full, /readyz not ready, one log line per fault, everything lands on recovery);
// rows the store refuses as bad data (a real CHECK constraint) go to the dead-letter
// directory and are replayed once the cause is fixed; a WAL with a torn last record is
// replayed on start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resolveServeConfig, type ServeFlags } from '../../../src/config/index.js';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { ApiClient } from '../../../src/cli/api-client.js';
import { INSERT_SETTINGS, frameRecord, replayDeadLetters } from '../../../src/ingest/index.js';
import { Tables, qualified } from '../../../src/storage/index.js';
import { FaultyStore } from '../../helpers/faulty-store.js';
import { WARDEN_BIN } from '../../helpers/processes.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { countRows, toolCallSpans } from './serve-helpers.js';

const lines: string[] = [];
const logger = {
  debug() {}, info(m: string) { lines.push(m); }, warn(m: string) { lines.push(m); }, error(m: string, f?: Record<string, unknown>) { lines.push(`${m} ${JSON.stringify(f)}`); },
  child() { return logger; },
};

async function serveWith(flags: ServeFlags, wrap?: (s: FaultyStore) => void): Promise<RunningServe> {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('faults'), ...flags }, {});
  return startServe({ config, logger, ...(wrap ? { wrapIngestStore: (s) => { const f = new FaultyStore(s); wrap(f); return f; } } : {}) });
}

const protobuf = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);

function post(serve: RunningServe, body: Buffer): Promise<Response> {
  return fetch(`${serve.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
}

async function metric(serve: RunningServe, name: string): Promise<number> {
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

test('a store that refuses writes for a while: 503 + Retry-After when the backlog is full, not ready, one log line per fault, nothing dropped', { timeout: 60_000 }, async () => {
  let store: FaultyStore | undefined;
  const serve = await serveWith({ maxQueueRows: 100, batchRows: 20, flushInterval: '50ms' }, (s) => (store = s));
  const faulty = store as FaultyStore;
  try {
    const bodies = await Promise.all(Array.from({ length: 6 }, () => toolCallSpans('fault-agent', 30).then(protobuf)));
    lines.length = 0;
    faulty.failInserts('NOT_ENOUGH_SPACE', 60_000);
    assert.equal((await post(serve, bodies[0] as Buffer)).status, 200);
    await until('the first failed insert', () => faulty.insertFailures >= 1);
    assert.equal((await post(serve, bodies[1] as Buffer)).status, 200);
    assert.equal((await post(serve, bodies[2] as Buffer)).status, 200);
    const full = await post(serve, bodies[3] as Buffer);
    assert.equal(full.status, 503, 'the backlog (100 rows) is full while the store refuses writes');
    assert.equal(full.headers.get('retry-after'), '5');

    const ready = await fetch(`${serve.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(await ready.json()), /WARDEN_INGEST_NOT_READY.*NOT_ENOUGH_SPACE/);
    assert.equal(await new ApiClient(serve.url).probe(), true, 'the CLI still talks to this serve (it holds the store) instead of opening the store itself');
    assert.equal(await metric(serve, 'warden_rows_dropped_total'), 0);
    assert.ok(await metric(serve, 'warden_wal_bytes') > 0, 'the acknowledged rows are in the WAL');
    assert.ok(await metric(serve, 'warden_ingest_oldest_unwritten_seconds') > 0);

    await until('retries', () => faulty.insertFailures >= 3);
    faulty.failInserts('READONLY', 60_000); // the cause changes: said once more
    const before = faulty.insertFailures;
    await until('retries on the new fault', () => faulty.insertFailures >= before + 2);
    faulty.heal();
    await until('ready again', async () => (await fetch(`${serve.url}/readyz`)).status === 200);
    for (const body of bodies.slice(3)) {
      // As an OTLP client does: a 429/503 is retried after a while, the spans are not given up.
      let status = 0;
      await until('the request accepted', async () => (status = (await post(serve, body)).status) !== 429);
      assert.equal(status, 200);
    }
    await serve.writer.flush();

    assert.equal(await countRows(serve, Tables.TOOL_CALLS, 'agent = {a:String}', { a: 'fault-agent' }), 180, 'every span, once');
    assert.equal(await metric(serve, 'warden_rows_dropped_total'), 0);
    const faultLines = lines.filter((l) => l.startsWith('the store is not accepting writes'));
    assert.equal(faultLines.length, 2, `one line per fault, not per retry (${faulty.insertFailures} failed inserts):\n${faultLines.join('\n')}`);
    assert.match(faultLines[0] as string, /NOT_ENOUGH_SPACE \(243\)/);
    assert.match(faultLines[1] as string, /READONLY \(164\)/);
    assert.ok(lines.includes('the store accepts writes again'));
    await until('the WAL emptied', async () => (await metric(serve, 'warden_wal_bytes')) === 0);
  } finally {
    await serve.close();
  }
});

test('rows the store refuses as bad data are bisected out to the dead-letter directory; the rest land; replay writes them once fixed', { timeout: 90_000 }, async () => {
  const serve = await serveWith({ flushInterval: '50ms' });
  const table = qualified(serve.queryStore.database, Tables.OTEL_TRACES);
  const deadLetterDir = join(testDataDir(), 'warden-wal', serve.queryStore.database, 'dead-letter');
  const copy = mkdtempSync(join(tmpdir(), 'warden-dead-letter-'));
  try {
    await serve.queryStore.command(`ALTER TABLE ${table} ADD CONSTRAINT no_poison CHECK SpanName != 'tools/call poison'`);
    const spans = [...await toolCallSpans('dl-agent', 25), ...await toolCallSpans('dl-agent', 2, 'poison')];
    spans.sort(() => Math.random() - 0.5);
    assert.equal((await post(serve, protobuf(spans))).status, 200);
    await serve.writer.flush();
    assert.equal(await countRows(serve, Tables.TOOL_CALLS, 'agent = {a:String}', { a: 'dl-agent' }), 25, 'the good rows landed');
    const files = readdirSync(deadLetterDir).filter((f) => f.endsWith('.ndjson'));
    assert.equal(files.length, 1);
    const kept = readFileSync(join(deadLetterDir, files[0] as string), 'utf8').trim().split('\n');
    assert.equal(kept.length, 2);
    assert.ok(kept.every((l) => (JSON.parse(l) as { SpanName: string }).SpanName === 'tools/call poison'));
    assert.match(readdirSync(deadLetterDir).map((f) => readFileSync(join(deadLetterDir, f), 'utf8')).join(''), /VIOLATED_CONSTRAINT \(469\)/);
    assert.equal(await metric(serve, 'warden_rows_dead_lettered_total'), 2);
    assert.equal(await metric(serve, 'warden_rows_dropped_total'), 2);
    assert.equal((await fetch(`${serve.url}/readyz`)).status, 200, 'bad rows do not make the store unready');
    cpSync(deadLetterDir, copy, { recursive: true });

    // The operator fixes the cause, then replays (the function `warden ingest replay` runs).
    await serve.queryStore.command(`ALTER TABLE ${table} DROP CONSTRAINT no_poison`);
    const replayed = await replayDeadLetters(deadLetterDir, (text) => serve.ingestStore.insertJsonEachRow(Tables.OTEL_TRACES, text, { settings: INSERT_SETTINGS }));
    assert.deepEqual(replayed, { files: 1, landed: 2, refusedAgain: 0, storeFault: undefined });
    assert.equal(await countRows(serve, Tables.TOOL_CALLS, 'agent = {a:String}', { a: 'dl-agent' }), 27);
    assert.deepEqual(readdirSync(deadLetterDir), []);
  } finally {
    await serve.close();
  }
  // The command itself, on a store of its own (chDB allows one directory per process).
  const store = mkdtempSync(join(tmpdir(), 'warden-replay-store-'));
  try {
    const run = spawnSync(process.execPath, [WARDEN_BIN, 'ingest', 'replay', copy, '--store', store], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /replayed 1 dead-letter file\(s\) .*: 2 row\(s\) written, 0 refused again/);
    assert.deepEqual(readdirSync(copy).filter((f) => f.endsWith('.ndjson')), []);
  } finally {
    rmSync(store, { recursive: true, force: true });
    rmSync(copy, { recursive: true, force: true });
  }
});

test('after a crash that tore the last WAL record, serve replays the intact records before it is ready', { timeout: 60_000 }, async () => {
  const wal = mkdtempSync(join(tmpdir(), 'warden-torn-wal-'));
  try {
    // What a crash leaves: two whole records of acknowledged rows and half of a third.
    const source = await serveWith({ flushInterval: '60s' });
    const rows: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const spans = await toolCallSpans('torn-agent', 10);
      assert.equal((await post(source, protobuf(spans))).status, 200);
      rows.push(spans.map((s) => s.spanContext().spanId));
    }
    const segmentDir = join(testDataDir(), 'warden-wal', source.queryStore.database);
    const [segment] = readdirSync(segmentDir).filter((f) => f.endsWith('.wal'));
    const bytes = readFileSync(join(segmentDir, segment as string));
    await source.close();
    const records = splitRecords(bytes);
    assert.equal(records.length, 3);
    mkdirSync(wal, { recursive: true });
    const torn = Buffer.concat([records[0] as Buffer, records[1] as Buffer, (records[2] as Buffer).subarray(0, 50)]);
    writeFileSync(join(wal, segment as string), torn);

    lines.length = 0;
    const serve = await serveWith({ wal });
    try {
      await until('ready after the replay', async () => (await fetch(`${serve.url}/readyz`)).status === 200);
      assert.ok(lines.some((l) => /torn or corrupt record; truncating/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /left in the write-ahead log/.test(l)));
      assert.equal(await countRows(serve, Tables.TOOL_CALLS, 'agent = {a:String}', { a: 'torn-agent' }), 20, 'the two whole records');
      const stored = await serve.queryStore.query<{ id: string }>(`SELECT span_id AS id FROM ${qualified(serve.queryStore.database, Tables.TOOL_CALLS)} FINAL WHERE agent = 'torn-agent'`);
      assert.deepEqual(new Set(stored.map((r) => r.id)), new Set([...(rows[0] as string[]), ...(rows[1] as string[])]));
      await until('the replayed segment deleted', () => readdirSync(wal).filter((f) => f.endsWith('.wal') && statSync(join(wal, f)).size > 0).length === 0);
    } finally {
      await serve.close();
    }
  } finally {
    rmSync(wal, { recursive: true, force: true });
  }
});

/** A segment's framed records, whole (header included), using the WAL's own framing. */
function splitRecords(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const length = bytes.readUInt32LE(pos);
    const record = bytes.subarray(pos, pos + 8 + length);
    assert.deepEqual(frameRecord(record.subarray(8)), record);
    out.push(record);
    pos += 8 + length;
  }
  return out;
}
