/**
 * The receiver's counters, rendered as Prometheus text for `/metrics`. Plain fields, no
 * library: the set is small and fixed, and the hot path only adds numbers.
 */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class IngestMetrics {
  spansReceived = 0;
  spansAccepted = 0;
  spansDeduplicated = 0;
  readonly spansRejected = new Map<string, number>();
  readonly requests = new Map<number, number>();
  rowsWritten = 0;
  /** Rows the store refused as bad data, kept in the dead-letter directory. */
  rowsDeadLettered = 0;
  insertFailures = 0;
  batches = 0;
  private readonly latencyCounts = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  private latencySum = 0;
  private latencyCount = 0;
  /** Filled in by the batch writer so the gauges are read live. */
  backlog: () => { rows: number; bytes: number; walBytes: number; oldestSeconds: number } = () => ({ rows: 0, bytes: 0, walBytes: 0, oldestSeconds: 0 });

  rejectSpans(reason: string, count: number): void {
    if (count > 0) this.spansRejected.set(reason, (this.spansRejected.get(reason) ?? 0) + count);
  }

  countRequest(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  observeBatch(seconds: number): void {
    this.latencySum += seconds;
    this.latencyCount += 1;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= (LATENCY_BUCKETS_S[i] as number)) this.latencyCounts[i] = (this.latencyCounts[i] as number) + 1;
    }
  }

  totalRejected(): number {
    let total = 0;
    for (const n of this.spansRejected.values()) total += n;
    return total;
  }

  toPrometheus(): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('warden_ingest_spans_received_total', 'counter', 'Spans in decoded OTLP requests.', [['', this.spansReceived]]);
    metric('warden_ingest_spans_accepted_total', 'counter', 'Spans accepted into the write queue.', [['', this.spansAccepted]]);
    metric('warden_ingest_spans_deduplicated_total', 'counter', 'Spans skipped as recently seen redeliveries.', [['', this.spansDeduplicated]]);
    metric('warden_ingest_spans_rejected_total', 'counter', 'Spans refused, by reason.',
      [...this.spansRejected].map(([reason, n]) => [`{reason="${reason}"}`, n]));
    metric('warden_ingest_requests_total', 'counter', 'POST /v1/traces requests by HTTP status.',
      [...this.requests].map(([status, n]) => [`{status="${status}"}`, n]));
    metric('warden_ingest_rows_written_total', 'counter', 'Rows inserted into otel_traces.', [['', this.rowsWritten]]);
    // Nothing accepted is dropped outright: a row not written to the store is in the dead-letter directory.
    metric('warden_rows_dropped_total', 'counter', 'Accepted rows not written to the store (each one is in the dead-letter directory).', [['', this.rowsDeadLettered]]);
    metric('warden_rows_dead_lettered_total', 'counter', 'Rows the store refused as bad data, kept in the dead-letter directory for `warden ingest replay`.', [['', this.rowsDeadLettered]]);
    metric('warden_ingest_insert_failures_total', 'counter', 'Failed insert attempts (retried).', [['', this.insertFailures]]);
    const buckets: Array<[string, number]> = LATENCY_BUCKETS_S.map((le, i) => [`_bucket{le="${le}"}`, this.latencyCounts[i] as number]);
    buckets.push(['_bucket{le="+Inf"}', this.latencyCount], ['_sum', this.latencySum], ['_count', this.latencyCount]);
    lines.push('# HELP warden_ingest_batch_seconds Time to insert one batch.', '# TYPE warden_ingest_batch_seconds histogram');
    for (const [suffix, value] of buckets) lines.push(`warden_ingest_batch_seconds${suffix} ${value}`);
    const backlog = this.backlog();
    metric('warden_ingest_queue_rows', 'gauge', 'Rows accepted and not yet written.', [['', backlog.rows]]);
    metric('warden_ingest_queue_bytes', 'gauge', 'Bytes of JSONEachRow accepted and not yet written.', [['', backlog.bytes]]);
    metric('warden_wal_bytes', 'gauge', 'Bytes in the write-ahead log (accepted rows not yet known to be in the store).', [['', backlog.walBytes]]);
    metric('warden_ingest_oldest_unwritten_seconds', 'gauge', 'Age of the oldest accepted row not yet written to the store.', [['', Number(backlog.oldestSeconds.toFixed(3))]]);
    return lines.join('\n') + '\n';
  }
}
