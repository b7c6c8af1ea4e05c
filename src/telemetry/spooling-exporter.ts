import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from '../core/index.js';
import type { DiskSpool } from './spool.js';

function failed(error: unknown): ExportResult {
  return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
}

/** What happened to one raw OTLP body sent to the endpoint. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'rejected';

export interface SpoolingExporterOptions {
  spool: DiskSpool;
  /** Encodes spans as one OTLP ExportTraceServiceRequest: what is sent, and what goes to disk. */
  serialize(spans: ReadableSpan[]): Uint8Array;
  /** Sends one body to the endpoint: `live` for a fresh batch (short timeout), else a spooled one. */
  deliver(body: Uint8Array, live: boolean): Promise<DeliveryOutcome>;
  /** How often to probe the endpoint while it is down. */
  retryIntervalMs: number;
  logger: Logger;
}

/**
 * The OTLP/HTTP protobuf exporter, with a disk spool so a down endpoint costs nothing but disk:
 * each batch is encoded once; a batch the endpoint does not take goes to the spool, later
 * batches go straight there until a spooled file is accepted again, and spooled files are
 * sent oldest first, each removed only after the endpoint accepted it. Never throws into the
 * span processor; reports SUCCESS once the spans are delivered or safe on disk.
 */
export class SpoolingSpanExporter implements SpanExporter {
  private endpointDown = false;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private starting: Promise<void> | undefined;

  constructor(private readonly opts: SpoolingExporterOptions) {}

  /** Delivers whatever earlier runs left in the spool. */
  start(): void {
    this.starting = this.opts.spool.init().then(() => this.drainSoon(), (error: unknown) => {
      this.opts.logger.warn('telemetry spool unusable; spans are exported live only', { dir: this.opts.spool.dir, error: String(error) });
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let body: Uint8Array;
    try {
      body = this.opts.serialize(spans);
    } catch (error) {
      resultCallback(failed(error));
      return;
    }
    if (this.endpointDown) return this.toSpool(body, spans.length, resultCallback);
    this.track(this.opts.deliver(body, true).catch((): DeliveryOutcome => 'retry').then((outcome) => {
      if (outcome === 'delivered') {
        resultCallback({ code: ExportResultCode.SUCCESS });
        if (this.opts.spool.pendingFiles > 0) this.drainSoon();
      } else if (outcome === 'rejected') {
        this.opts.logger.warn('telemetry endpoint rejected spans; dropping them', { spans: spans.length });
        resultCallback(failed(new Error('rejected by the telemetry endpoint')));
      } else {
        this.markDown(undefined);
        this.toSpool(body, spans.length, resultCallback);
      }
    }));
  }

  /** Waits for the batches in flight: live sends, and writes to the spool. */
  async forceFlush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.starting; // a shutdown right after start leaves no spool work running behind it
    await this.forceFlush();
    await this.draining;
  }

  private toSpool(body: Uint8Array, spans: number, resultCallback: (result: ExportResult) => void): void {
    this.track((async () => {
      try {
        await this.opts.spool.write(body, spans);
        resultCallback({ code: ExportResultCode.SUCCESS });
        // Spooled just as the endpoint came back: deliver it now rather than at the next live export.
        if (!this.endpointDown) this.drainSoon();
      } catch (error) {
        this.opts.logger.warn('could not spool spans; they are lost', { spans, error: String(error) });
        resultCallback(failed(error));
      }
    })());
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
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
      const outcome = await this.opts.deliver(claimed.body, false).catch((): DeliveryOutcome => 'retry');
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
 * operator's mistake to fix, not a reason to lose the record. node:http with a keep-alive
 * agent rather than fetch: a batch every 200 ms through fetch's web streams cost more CPU
 * than encoding the batch.
 */
export function postOtlpBody(url: string, body: Uint8Array, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<DeliveryOutcome> {
  return postOnce(new URL(url), body, timeoutMs, headers, true);
}

function postOnce(target: URL, body: Uint8Array, timeoutMs: number, headers: Record<string, string>, mayRetry: boolean): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    const https = target.protocol === 'https:';
    const request = (https ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      agent: https ? httpsAgent : httpAgent,
      headers: { ...headers, 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
      timeout: timeoutMs,
    }, (response) => {
      response.resume(); // the body (an ExportTraceServiceResponse) is not needed
      response.on('error', () => resolve('retry'));
      response.on('end', () => resolve(outcomeOf(response.statusCode ?? 0)));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed while idle fails on first use: that is not the endpoint being down.
      if (mayRetry && request.reusedSocket && error.code === 'ECONNRESET') resolve(postOnce(target, body, timeoutMs, headers, false));
      else resolve('retry');
    });
    request.end(body);
  });
}

/** Idle connections close after 4 s, before a Node server's default 5 s keep-alive timeout closes them under us. */
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4, timeout: 4_000 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4, timeout: 4_000 });

function outcomeOf(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  return [401, 403, 429, 502, 503, 504].includes(status) ? 'retry' : 'rejected';
}
