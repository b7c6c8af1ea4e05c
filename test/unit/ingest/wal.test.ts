import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteAheadLog, frameRecord, readRecords } from '../../../src/ingest/index.js';

const warnings: string[] = [];
const logger = { debug() {}, info() {}, warn(m: string) { warnings.push(m); }, error() {}, child() { return logger; } };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-wal-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();
const payload = (i: number, rows = 1) => Array.from({ length: rows }, (_, r) => JSON.stringify({ SpanId: `${i}-${r}`, pad: 'x'.repeat(40) })).join('\n');

test('appends survive a crash (no close) and come back in order; a segment is deleted once its rows are written', () => withDir(async (dir) => {
  const { wal, replay } = await WriteAheadLog.open(dir);
  assert.deepEqual(replay, []);
  const seqs = await Promise.all([0, 1, 2].map((i) => wal.append(Buffer.from(payload(i, 2)), 2)));
  assert.equal(new Set(seqs).size, 1, 'one segment');
  // A second process on the same directory stands in for the restart after SIGKILL (the first never closed).
  const again = await WriteAheadLog.open(dir);
  assert.deepEqual(again.replay.map((s) => s.payloads), [[payload(0, 2), payload(1, 2), payload(2, 2)]]);
  assert.equal(again.replay[0]?.rows, 6);
  again.wal.written(again.replay[0]?.seq as number, 6);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(segmentFiles(dir).filter((f) => f === `${String(seqs[0]).padStart(12, '0')}.wal`), [], 'written segment deleted');
  await again.wal.close();
  await wal.close();
}));

test('a torn last record (the file cut mid-record) is truncated with a warning; earlier records are kept', () => withDir(async (dir) => {
  const { wal } = await WriteAheadLog.open(dir);
  for (let i = 0; i < 5; i++) await wal.append(Buffer.from(payload(i)), 1);
  const [file] = segmentFiles(dir);
  const path = join(dir, file as string);
  const full = statSync(path).size;
  const recordBytes = frameRecord(Buffer.from(payload(4))).length;
  truncateSync(path, full - Math.floor(recordBytes / 2)); // the crash hit during the last append
  warnings.length = 0;
  const { wal: reopened, replay } = await WriteAheadLog.open(dir, { logger });
  assert.deepEqual(replay[0]?.payloads, [0, 1, 2, 3].map((i) => payload(i)));
  assert.match(warnings.join('\n'), /torn or corrupt record; truncating/);
  assert.equal(statSync(path).size, full - recordBytes, 'the torn tail is cut off the file');
  // New appends after a recovery land in a new segment and are read back after the old ones.
  await reopened.append(Buffer.from(payload(9)), 1);
  const third = await WriteAheadLog.open(dir);
  assert.deepEqual(third.replay.flatMap((s) => s.payloads), [0, 1, 2, 3, 9].map((i) => payload(i)));
  await Promise.all([wal.close(), reopened.close(), third.wal.close()]);
}));

test('a flipped byte in the last record fails its checksum: that record is dropped, the rest kept', () => withDir(async (dir) => {
  const { wal } = await WriteAheadLog.open(dir);
  for (let i = 0; i < 3; i++) await wal.append(Buffer.from(payload(i)), 1);
  await wal.close();
  const path = join(dir, segmentFiles(dir)[0] as string);
  const bytes = readFileSync(path);
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
  writeFileSync(path, bytes);
  const { wal: reopened, replay } = await WriteAheadLog.open(dir, { logger });
  assert.deepEqual(replay[0]?.payloads, [payload(0), payload(1)]);
  await reopened.close();
}));

test('readRecords stops at a length that runs past the end, or a header cut short', () => {
  const a = frameRecord(Buffer.from('a'));
  const b = frameRecord(Buffer.from('bb'));
  assert.equal(readRecords(Buffer.concat([a, b])).payloads.length, 2);
  assert.deepEqual(readRecords(Buffer.concat([a, b.subarray(0, 5)])), { payloads: [Buffer.from('a')], validBytes: a.length });
  assert.deepEqual(readRecords(Buffer.concat([a, b.subarray(0, b.length - 1)])).validBytes, a.length);
});

test('appends that arrive while an fsync runs share the next one (group commit)', () => withDir(async (dir) => {
  const { wal } = await WriteAheadLog.open(dir);
  const n = 200;
  await Promise.all(Array.from({ length: n }, (_, i) => wal.append(Buffer.from(payload(i)), 1)));
  assert.ok(wal.fsyncs < n / 4, `${wal.fsyncs} fsyncs for ${n} concurrent appends`);
  const again = await WriteAheadLog.open(dir);
  assert.equal(again.replay[0]?.rows, n);
  await Promise.all([wal.close(), again.wal.close()]);
}));
