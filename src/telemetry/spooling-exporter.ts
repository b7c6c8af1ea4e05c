import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from '../core/index.js';
import type { EncodedSpanSink } from './encoding-span-processor.js';
import type { ClaimedSpoolFile, DiskSpool } from './spool.js';

/** What happened to one raw OTLP body sent to the endpoint. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'rejected';

export interface SpoolingExporterOptions {
  spool: DiskSpool;
  /** Sends one body to the endpoint: `live` for a fresh batch (short timeout), else a spooled one. */
  deliver(body: Uint8Array, live: boolean): Promise<DeliveryOutcome>;
  /** How often to probe the endpoint while it is down. */
  retryIntervalMs: number;
  /** Live batches on their way at once; more go to the spool (a slow endpoint must not fill the heap). */
  maxLiveInFlight?: number;
  logger: Logger;
}

/**
 * The OTLP/HTTP protobuf exporter, with a disk spool so neither a down endpoint nor a killed
 * proxy loses a batch: it takes batches already encoded (by EncodingSpanProcessor) and writes
 * each to the spool before it returns, then sends it; the file goes once the endpoint answered
 * 2xx (or refused the body as malformed). A batch the endpoint does not take stays, later
 * batches wait there until a spooled file is accepted again, and spooled files are sent oldest
 * first. After a SIGKILL the next start finds every batch not yet acknowledged and sends it
 * (one that arrived just before the kill arrives again; the receiver de-duplicates by span
 * id). A slow endpoint is not a down one: batches beyond `maxLiveInFlight` on their way wait
 * on disk rather than in memory. Never throws into the span processor.
 */
export class SpoolingOtlpExporter implements EncodedSpanSink {
  private endpointDown = false;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private starting: Promise<void> | undefined;
  private liveInFlight = 0;
  private spoolFailures = 0;

  constructor(private readonly opts: SpoolingExporterOptions) {}

  /** Delivers whatever earlier runs left in the spool. */
  start(): void {
    this.starting = this.opts.spool.init().then(() => this.drainSoon(), (error: unknown) => {
      this.opts.logger.warn('telemetry spool unusable; spans are exported live only', { dir: this.opts.spool.dir, error: String(error) });
    });
  }

  exportBody(body: Uint8Array, spans: number): void {
    const live = !this.endpointDown && this.liveInFlight < (this.opts.maxLiveInFlight ?? 4);
    const onDisk = this.persist(body, spans, live);
    if (onDisk !== 'queued') this.sendLive(body, spans, onDisk);
  }

  /**
   * On disk before the send starts: claimed for a live send, or queued for the drain. A spool
   * that cannot be written costs the crash safety, not the batch: it is sent live anyway.
   */
  private persist(body: Uint8Array, spans: number, live: boolean): ClaimedSpoolFile | 'queued' | 'unwritten' {
    try {
      if (live) return this.opts.spool.add(body, spans, true);
      this.opts.spool.add(body, spans);
      return 'queued';
    } catch (error) {
      if (this.spoolFailures++ === 0) this.opts.logger.warn('could not write spans to the spool; sending them without a copy on disk', { dir: this.opts.spool.dir, error: String(error) });
      return 'unwritten';
    }
  }

  private sendLive(body: Uint8Array, spans: number, onDisk: ClaimedSpoolFile | 'unwritten'): void {
    this.liveInFlight++;
    this.track(this.opts.deliver(body, true).catch((): DeliveryOutcome => 'retry').then(async (outcome) => {
      this.liveInFlight--;
      if (outcome === 'retry') {
        this.markDown(undefined);
        if (onDisk === 'unwritten') this.spoolLate(body, spans);
        else await this.opts.spool.release(onDisk);
        return;
      }
      if (outcome === 'rejected') this.opts.logger.warn('telemetry endpoint rejected spans; dropping them', { spans });
      if (onDisk !== 'unwritten') await this.opts.spool.remove(onDisk);
      if (outcome === 'delivered' && this.opts.spool.queuedFiles > 0) this.drainSoon();
    }));
  }

  /** A batch that could not be written before its send failed: one more try to keep it. */
  private spoolLate(body: Uint8Array, spans: number): void {
    try {
      this.opts.spool.add(body, spans);
    } catch (error) {
      this.opts.logger.warn('could not spool spans; they are lost', { spans, error: String(error) });
    }
  }

  /** Waits for the batches in flight (live sends, and the removal of their files). */
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
