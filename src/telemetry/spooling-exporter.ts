import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../core/index.js';
import type { DiskSpool } from './spool.js';

/** What happened to one raw OTLP body sent to the endpoint. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'rejected';

export interface SpoolingExporterOptions {
  /** The real exporter for the live path (OTLP/HTTP protobuf). */
  live: SpanExporter;
  spool: DiskSpool;
  /** Encodes spans as one OTLP ExportTraceServiceRequest (what goes to disk). */
  serialize(spans: ReadableSpan[]): Uint8Array;
  /** Sends one spooled body to the endpoint. */
  deliver(body: Uint8Array): Promise<DeliveryOutcome>;
  /** How often to probe the endpoint while it is down. */
  retryIntervalMs: number;
  logger: Logger;
}

/**
 * Wraps the OTLP exporter so a down endpoint costs nothing but disk: a failed batch goes to
 * the spool, later batches go straight there until a spooled file is accepted again, and
 * spooled files are sent oldest first, each removed only after the endpoint accepted it.
 * Never throws into the span processor; always reports SUCCESS once the spans are safe on disk.
 */
export class SpoolingSpanExporter implements SpanExporter {
  private endpointDown = false;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pendingWrites = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly opts: SpoolingExporterOptions) {}

  /** Delivers whatever earlier runs left in the spool. */
  start(): void {
    void this.opts.spool.init().then(() => this.drainSoon(), (error: unknown) => {
      this.opts.logger.warn('telemetry spool unusable; spans are exported live only', { dir: this.opts.spool.dir, error: String(error) });
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      if (this.endpointDown) return this.toSpool(spans, resultCallback);
      this.opts.live.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          resultCallback(result);
          if (this.opts.spool.pendingFiles > 0) this.drainSoon();
          return;
        }
        this.markDown(result.error);
        this.toSpool(spans, resultCallback);
      });
    } catch (error) {
      this.markDown(error);
      this.toSpool(spans, resultCallback);
    }
  }

  async forceFlush(): Promise<void> {
    await this.opts.live.forceFlush?.().catch(() => {});
    await Promise.all(this.pendingWrites);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.forceFlush();
    await this.draining;
    await this.opts.live.shutdown().catch(() => {});
  }

  private toSpool(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const write = (async () => {
      try {
        await this.opts.spool.write(this.opts.serialize(spans), spans.length);
        resultCallback({ code: ExportResultCode.SUCCESS });
        // Spooled just as the endpoint came back: deliver it now rather than at the next live export.
        if (!this.endpointDown) this.drainSoon();
      } catch (error) {
        this.opts.logger.warn('could not spool spans; they are lost', { spans: spans.length, error: String(error) });
        resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    })();
    this.pendingWrites.add(write);
    void write.finally(() => this.pendingWrites.delete(write));
  }

  private markDown(error: unknown): void {
    if (!this.endpointDown) {
      this.opts.logger.warn('telemetry endpoint unreachable; spooling spans to disk', { dir: this.opts.spool.dir, error: String(error ?? 'export failed') });
    }
    this.endpointDown = true;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drainSoon();
    }, this.opts.retryIntervalMs);
    this.retryTimer.unref();
  }

  private drainSoon(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true; // a file may have landed after the running pass looked
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => this.opts.logger.warn('telemetry spool delivery failed', { error: String(error) }))
      .finally(() => {
        this.draining = undefined;
        if (this.drainAgain && !this.endpointDown) {
          this.drainAgain = false;
          this.drainSoon();
        }
      });
  }

  /** One file at a time, oldest first; stops at the first failure and probes again later. */
  private async drain(): Promise<void> {
    for (;;) {
      const claimed = await this.opts.spool.claimOldest();
      if (!claimed) {
        this.endpointDown = false; // nothing left to probe with: let the next live export decide
        return;
      }
      const outcome = await this.opts.deliver(claimed.body).catch((): DeliveryOutcome => 'retry');
      if (outcome === 'retry') {
        await this.opts.spool.release(claimed);
        this.endpointDown = true;
        this.scheduleRetry();
        return;
      }
      if (outcome === 'rejected') {
        this.opts.logger.warn('telemetry endpoint rejected spooled spans; dropping them', { spans: claimed.entry.spans });
      } else if (this.endpointDown) {
        this.opts.logger.info('telemetry endpoint is back; delivering spooled spans');
      }
      this.endpointDown = false;
      await this.opts.spool.remove(claimed);
    }
  }
}

/**
 * POSTs a raw OTLP protobuf body; 2xx delivered, 429/502/503/504 and network errors retry,
 * other 4xx/5xx are final. 401/403 also stay in the spool: a missing or wrong token is an
 * operator's mistake to fix, not a reason to lose the record.
 */
export async function postOtlpBody(url: string, body: Uint8Array, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<DeliveryOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-protobuf' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return 'delivered';
    return [401, 403, 429, 502, 503, 504].includes(response.status) ? 'retry' : 'rejected';
  } catch {
    return 'retry';
  }
}
