import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { errorMessage, silentLogger, type Logger } from '../core/index.js';

/**
 * Serve's write-ahead log: every accepted OTLP request's rows are appended here and fsynced
 * before the request is answered 200, so a crash loses nothing acknowledged. Appends that
 * arrive while an fsync runs are written together and share the next one (group commit).
 * The log is a directory of numbered segments; a segment is deleted once every row in it is
 * in the store (or in the dead-letter directory). On start, what is left is read back and
 * written again: at-least-once, with the span-id de-duplication of tool_calls (FINAL)
 * removing the repeats.
 *
 * Record: u32le payload length, u32le CRC-32 of the payload, payload (JSONEachRow text).
 * A crash can leave the last record torn; reading stops at the first record whose length
 * or checksum does not hold, and the file is truncated there (with a warning).
 */
const HEADER_BYTES = 8;
/** No request is near this (bodies are capped at 64 MiB decompressed); a larger length is corruption. */
const MAX_RECORD_BYTES = 512 * 1024 * 1024;
const SEGMENT_SUFFIX = '.wal';
export const DEFAULT_WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

interface Segment {
  seq: number;
  path: string;
  bytes: number;
  /** Rows appended (or being appended) and not yet reported written. */
  pendingRows: number;
  sealed: boolean;
  handle: FileHandle | undefined;
}

/** A segment left by an earlier run: its records' payloads, to be written again. */
export interface ReplayedSegment {
  seq: number;
  payloads: string[];
  rows: number;
}

interface PendingAppend {
  record: Buffer;
  rows: number;
  resolve: (seq: number) => void;
  reject: (e: unknown) => void;
}

export function frameRecord(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** The intact records at the start of `buf`, and how many bytes they take. */
export function readRecords(buf: Buffer): { payloads: Buffer[]; validBytes: number } {
  const payloads: Buffer[] = [];
  let pos = 0;
  while (pos + HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32LE(pos);
    const end = pos + HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES || end > buf.length) break;
    const payload = buf.subarray(pos + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) break;
    payloads.push(payload);
    pos = end;
  }
  return { payloads, validBytes: pos };
}

export class WriteAheadLog {
  private readonly segments = new Map<number, Segment>();
  private current: Segment | undefined;
  private nextSeq: number;
  private queue: PendingAppend[] = [];
  private writing = false;
  private closed = false;
  /** fsyncs done, and their total time: what durability costs (bench, tests). */
  fsyncs = 0;
  fsyncMs = 0;

  private constructor(readonly dir: string, lastSeq: number, private readonly segmentBytes: number, private readonly logger: Logger) {
    this.nextSeq = lastSeq + 1;
  }

  /** Opens (creating) the log in `dir` and returns what earlier runs left unwritten. */
  static async open(dir: string, opts: { segmentBytes?: number; logger?: Logger } = {}): Promise<{ wal: WriteAheadLog; replay: ReplayedSegment[] }> {
    const logger = opts.logger ?? silentLogger;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seqs = (await readdir(dir)).filter((f) => /^\d{12}\.wal$/.test(f)).map((f) => Number(f.slice(0, 12))).sort((a, b) => a - b);
    const wal = new WriteAheadLog(dir, seqs.at(-1) ?? 0, opts.segmentBytes ?? DEFAULT_WAL_SEGMENT_BYTES, logger);
    const replay: ReplayedSegment[] = [];
    for (const seq of seqs) {
      const found = await wal.recover(seq);
      if (found) replay.push(found);
    }
    return { wal, replay };
  }

  /** Bytes on disk in segments not yet deleted. */
  get bytes(): number {
    let total = 0;
    for (const s of this.segments.values()) total += s.bytes;
    return total;
  }

  /** Appends one record of `rows` rows; resolves with its segment once it is on disk (fsynced). */
  append(payload: Buffer, rows: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the write-ahead log is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ record: frameRecord(payload), rows, resolve, reject });
      if (!this.writing) void this.writeGroups();
    });
  }

  /** `rows` rows of segment `seq` are in the store: a segment with none left is deleted. */
  written(seq: number, rows: number): void {
    const segment = this.segments.get(seq);
    if (!segment) return;
    segment.pendingRows -= rows;
    if (segment.pendingRows > 0) return;
    // The current segment is retired too once everything in it is written (unless an append
    // is on its way into it), so the log holds only what the store does not have yet.
    if (segment === this.current && this.writing) return;
    void this.remove(segment);
  }

  /** Waits for appends under way, then closes the file (segments stay for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const segment of this.segments.values()) await segment.handle?.close().catch(() => undefined);
  }

  private async recover(seq: number): Promise<ReplayedSegment | undefined> {
    const path = this.pathOf(seq);
    const buf = await readFile(path);
    const { payloads, validBytes } = readRecords(buf);
    if (validBytes < buf.length) {
      this.logger.warn('write-ahead log ends in a torn or corrupt record; truncating it there', {
        segment: path, keptRecords: payloads.length, droppedBytes: buf.length - validBytes,
      });
      await truncate(path, validBytes);
    }
    const texts = payloads.map((p) => p.toString('utf8'));
    const rows = texts.reduce((n, t) => n + countLines(t), 0);
    const segment: Segment = { seq, path, bytes: validBytes, pendingRows: rows, sealed: true, handle: undefined };
    this.segments.set(seq, segment);
    if (rows === 0) {
      await this.remove(segment);
      return undefined;
    }
    return { seq, payloads: texts, rows };
  }

  private async writeGroups(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.writeGroup(group);
      }
    } finally {
      this.writing = false;
    }
    const current = this.current;
    if (current && current.pendingRows === 0) void this.remove(current);
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let segment: Segment | undefined;
    let rows = 0;
    let size = 0;
    for (const a of group) {
      rows += a.rows;
      size += a.record.length;
    }
    try {
      segment = await this.segmentForAppend();
      segment.pendingRows += rows;
      const handle = segment.handle as FileHandle;
      const { bytesWritten } = await handle.writev(group.map((a) => a.record), segment.bytes);
      if (bytesWritten !== size) throw new Error(`short write to ${segment.path} (${bytesWritten} of ${size} bytes)`);
      const started = performance.now();
      await handle.datasync();
      this.fsyncs += 1;
      this.fsyncMs += performance.now() - started;
      segment.bytes += size;
      if (segment.bytes >= this.segmentBytes) segment.sealed = true;
      for (const a of group) a.resolve(segment.seq);
    } catch (e) {
      if (segment) await this.undoAppend(segment, rows);
      for (const a of group) a.reject(e);
    }
  }

  /** A failed append may have left part of a record: cut it off, or stop using the segment. */
  private async undoAppend(segment: Segment, rows: number): Promise<void> {
    segment.pendingRows -= rows;
    try {
      await segment.handle?.truncate(segment.bytes);
    } catch (e) {
      this.logger.warn('cannot truncate the write-ahead log after a failed append; starting a new segment', { segment: segment.path, error: errorMessage(e) });
      segment.sealed = true;
    }
  }

  private async segmentForAppend(): Promise<Segment> {
    if (this.current && !this.current.sealed && this.segments.has(this.current.seq)) return this.current;
    const seq = this.nextSeq++;
    const path = this.pathOf(seq);
    const handle = await open(path, 'w', 0o600);
    await syncDirectory(this.dir); // the new file's name is durable too
    const segment: Segment = { seq, path, bytes: 0, pendingRows: 0, sealed: false, handle };
    this.segments.set(seq, segment);
    this.current = segment;
    return segment;
  }

  private async remove(segment: Segment): Promise<void> {
    if (!this.segments.has(segment.seq)) return;
    this.segments.delete(segment.seq);
    if (this.current === segment) this.current = undefined;
    try {
      await segment.handle?.close();
      await unlink(segment.path);
    } catch (e) {
      this.logger.warn('cannot delete a written write-ahead log segment', { segment: segment.path, error: errorMessage(e) });
    }
  }

  private pathOf(seq: number): string {
    return join(this.dir, String(seq).padStart(12, '0') + SEGMENT_SUFFIX);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Rows in a JSONEachRow payload: one per line (JSON.stringify never emits a raw newline). */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
