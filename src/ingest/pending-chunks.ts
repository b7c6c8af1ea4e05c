/** One accepted request's rows as JSONEachRow text, with the WAL segment that holds them. */
export interface Chunk {
  text: string;
  rows: number;
  segment: number | undefined;
  acceptedAt: number;
  /** Read back from the WAL at start (readiness waits for these). */
  replayed: boolean;
}

/** Chunks joined into one insert. */
export interface Batch {
  text: string;
  rows: number;
  /** WAL segment → rows of it in this batch, reported written once the whole batch is handled. */
  segments: Map<number, number>;
  oldest: number;
  replayedRows: number;
}

/** Accepted chunks waiting for an insert, oldest first. */
export class PendingChunks {
  private chunks: Chunk[] = [];
  rows = 0;
  bytes = 0;

  push(chunk: Chunk): void {
    this.chunks.push(chunk);
    this.rows += chunk.rows;
    this.bytes += chunk.text.length;
  }

  get oldestAcceptedAt(): number | undefined {
    return this.chunks[0]?.acceptedAt;
  }

  /** The oldest chunks, up to `maxBytes` of text (at least one), as one batch. */
  take(maxBytes: number): Batch | undefined {
    if (this.chunks.length === 0) return undefined;
    let count = 0;
    let bytes = 0;
    const batch: Batch = { text: '', rows: 0, segments: new Map(), oldest: Infinity, replayedRows: 0 };
    while (count < this.chunks.length && (count === 0 || bytes + (this.chunks[count] as Chunk).text.length <= maxBytes)) {
      const chunk = this.chunks[count] as Chunk;
      bytes += chunk.text.length + 1;
      batch.rows += chunk.rows;
      batch.oldest = Math.min(batch.oldest, chunk.acceptedAt);
      if (chunk.replayed) batch.replayedRows += chunk.rows;
      if (chunk.segment !== undefined) batch.segments.set(chunk.segment, (batch.segments.get(chunk.segment) ?? 0) + chunk.rows);
      count += 1;
    }
    const taken = this.chunks.slice(0, count);
    this.chunks = this.chunks.slice(count);
    batch.text = taken.map((c) => c.text).join('\n');
    this.rows -= batch.rows;
    this.bytes -= batch.text.length - (count - 1);
    return batch;
  }
}
