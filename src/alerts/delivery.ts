/**
 * One delivery queue per target: messages go out in order (a resolved never overtakes its
 * firing), each retried with exponential backoff up to `maxAttempts`, each attempt bounded
 * by `timeoutMs`. Queues are independent and nobody awaits them, so a dead receiver delays
 * only its own queue, never the evaluation loop or another target.
 */
import { errorMessage, type Logger } from '../core/index.js';
import { renderMessage, type NotificationGroup, type PayloadContext } from './payloads.js';
import { redactUrl, scrub, secretsOf } from './redact.js';
import type { AlertTarget, DeliveryOptions } from './types.js';

export type DeliveryResult = 'delivered' | 'failed' | 'dropped';

export interface DeliveryOutcome {
  group: NotificationGroup;
  result: DeliveryResult;
  attempts: number;
  httpStatus: number;
  /** Already scrubbed of the target's secrets. */
  error: string;
  finishedMs: number;
}

export interface DeliveryDeps {
  logger: Logger;
  onOutcome: (outcome: DeliveryOutcome) => Promise<void> | void;
  context: () => PayloadContext;
  nowMs: () => number;
}

interface AttemptResult {
  ok: boolean;
  retryable: boolean;
  httpStatus: number;
  error: string;
  retryAfterMs: number | undefined;
}

export class TargetQueue {
  private readonly pending: NotificationGroup[] = [];
  private readonly secrets: string[];
  private readonly closing = new AbortController();
  private running: Promise<void> | undefined;

  constructor(readonly target: AlertTarget, private readonly opts: DeliveryOptions, private readonly deps: DeliveryDeps) {
    this.secrets = secretsOf(target);
  }

  get size(): number {
    return this.pending.length;
  }

  enqueue(group: NotificationGroup): void {
    if (this.closing.signal.aborted) {
      void this.finish(group, 'dropped', 0, 0, 'delivery is shutting down');
      return;
    }
    this.pending.push(group);
    while (this.pending.length > this.opts.maxQueue) {
      const oldest = this.pending.shift() as NotificationGroup;
      void this.finish(oldest, 'dropped', 0, 0, `queue for target ${this.target.name} is full (${this.opts.maxQueue})`);
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits up to `graceMs` for the queue to empty, then abandons what is left (recorded as failed). */
  async close(graceMs: number): Promise<void> {
    const idle = this.running ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.closing.abort();
    await idle;
  }

  private async drain(): Promise<void> {
    for (let group = this.pending.shift(); group; group = this.pending.shift()) {
      await this.deliver(group);
    }
  }

  private async deliver(group: NotificationGroup): Promise<void> {
    const message = renderMessage(group, this.deps.context());
    const body = JSON.stringify(message.body);
    let last: AttemptResult = { ok: false, retryable: false, httpStatus: 0, error: 'not attempted', retryAfterMs: undefined };
    let attempt = 0;
    while (attempt < this.opts.maxAttempts && !this.closing.signal.aborted) {
      attempt += 1;
      last = await this.attempt(message.url, message.headers, body);
      if (last.ok || !last.retryable) break;
      if (attempt < this.opts.maxAttempts) await this.sleep(last.retryAfterMs ?? this.backoffMs(attempt));
    }
    if (!last.ok && this.closing.signal.aborted && last.error === 'not attempted') last.error = 'delivery shut down';
    await this.finish(group, last.ok ? 'delivered' : 'failed', attempt, last.httpStatus, last.ok ? '' : last.error);
  }

  private async attempt(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'warden-alerts', ...headers },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.closing.signal]),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, retryable: false, httpStatus: res.status, error: '', retryAfterMs: undefined };
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      return { ok: false, retryable, httpStatus: res.status, error: `HTTP ${res.status}`, retryAfterMs: retryAfter(res.headers.get('retry-after'), this.opts.maxBackoffMs) };
    } catch (cause) {
      return { ok: false, retryable: true, httpStatus: 0, error: this.describe(cause), retryAfterMs: undefined };
    }
  }

  /** Exponential backoff with jitter in [½, 1] of the step, so many alerts do not retry in lockstep. */
  private backoffMs(attempt: number): number {
    const step = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.closing.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private describe(cause: unknown): string {
    const inner = cause instanceof Error && cause.cause ? `: ${errorMessage(cause.cause)}` : '';
    const text = cause instanceof Error && cause.name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : `${errorMessage(cause)}${inner}`;
    return scrub(text, this.secrets).slice(0, 500);
  }

  private async finish(group: NotificationGroup, result: DeliveryResult, attempts: number, httpStatus: number, error: string): Promise<void> {
    const outcome: DeliveryOutcome = { group, result, attempts, httpStatus, error: scrub(error, this.secrets), finishedMs: this.deps.nowMs() };
    const fields = { target: this.target.name, url: redactUrl(this.target.url), agent: group.agent, status: group.status, attempts };
    if (result === 'delivered') this.deps.logger.debug('alert notification delivered', fields);
    else this.deps.logger.warn(`alert notification ${result}`, { ...fields, error: outcome.error });
    try {
      await this.deps.onOutcome(outcome);
    } catch (e) {
      this.deps.logger.warn('could not record an alert delivery', { target: this.target.name, error: errorMessage(e) });
    }
  }
}

function retryAfter(header: string | null, capMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(capMs, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(capMs, Math.max(0, at - Date.now()));
}
