/**
 * Shared limit counters in Redis (`warden proxy --limits redis://…`): one script call per
 * decision (see admit-script.ts). Every wait is bounded: no offline queue (a command while
 * disconnected fails at once), no per-command retries, a command timeout; ioredis reconnects
 * in the background, so the shared counters come back on their own after an outage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { err, ok, type Logger, type Result } from '../core/index.js';
import type { CounterSpec, SharedAdmission, SharedCounters } from '../policy/index.js';
import { ADMIT_SCRIPT } from './admit-script.js';

/** Where counter sets live: `warden:limit:<scope>\0<tool>\0<counter>\0<agent|session|''>`. */
export const DEFAULT_KEY_PREFIX = 'warden:limit:';

export interface RedisCountersOptions {
  /** redis://[user:password@]host:port[/db] or rediss://… (TLS). */
  url: string;
  /** The longest a decision waits for Redis before the fallback decides. */
  timeoutMs: number;
  logger: Logger;
  keyPrefix?: string;
  /** Decide on the call's own time instead of Redis' clock (replaying recorded calls). */
  clock?: 'redis' | 'call';
}

type AdmitReply = [number, number, number, number[]];

export class RedisCounters implements SharedCounters {
  private readonly redis: Redis;
  private readonly sha = createHash('sha1').update(ADMIT_SCRIPT).digest('hex');
  private readonly tokenPrefix = randomBytes(8).toString('base64url');
  private readonly prefix: string;
  /** Longest window seen per counter space: entries another limit on the same set still needs survive. */
  private readonly horizons = new Map<string, number>();
  private sequence = 0;
  private outage: string | undefined;

  constructor(private readonly opts: RedisCountersOptions) {
    this.prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.redis = new Redis(opts.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeoutMs,
      connectTimeout: Math.max(1000, opts.timeoutMs),
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
      lazyConnect: true,
    });
    // Failures are reported once per outage by admit(); ioredis would otherwise print each retry.
    this.redis.on('error', () => {});
    // Load the script on every (re)connect so the first decision after an outage is one round trip.
    this.redis.on('ready', () => void this.redis.script('LOAD', ADMIT_SCRIPT).catch(() => {}));
  }

  /** Connects, waiting at most `waitMs`; false (and one warning) when Redis is not there yet. */
  async connect(waitMs: number): Promise<boolean> {
    const connected = this.redis.connect().then(() => true, () => false);
    const timedOut = new Promise<boolean>((resolve) => setTimeout(resolve, waitMs, false).unref());
    const up = await Promise.race([connected, timedOut]);
    if (!up) this.down(`cannot connect within ${waitMs}ms`);
    return up;
  }

  async admit(specs: readonly CounterSpec[], ids: readonly string[], callMs: number): Promise<Result<SharedAdmission, string>> {
    const keys: string[] = [];
    const args: Array<string | number> = [this.opts.clock === 'call' ? Math.floor(callMs) : '', `${this.tokenPrefix}:${++this.sequence}`];
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as CounterSpec;
      keys.push(`${this.prefix}${spec.space}\u0000${ids[i] as string}`);
      args.push(spec.windowMs, spec.max, this.horizon(spec));
    }
    try {
      const [full, nowMs, blocking, counts] = await this.run(keys, args);
      this.up();
      return ok({ full, counts, nowMs, blockingMs: blocking < 0 ? undefined : blocking });
    } catch (error) {
      const reason = (error as Error).message;
      this.down(reason);
      return err(reason);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async run(keys: string[], args: Array<string | number>): Promise<AdmitReply> {
    try {
      return (await this.redis.evalsha(this.sha, keys.length, ...keys, ...args)) as AdmitReply;
    } catch (error) {
      // A restarted (or flushed) Redis has forgotten the script: send it once in full.
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(ADMIT_SCRIPT, keys.length, ...keys, ...args)) as AdmitReply;
    }
  }

  private horizon(spec: CounterSpec): number {
    const known = this.horizons.get(spec.space);
    if (known !== undefined && known >= spec.windowMs) return known;
    this.horizons.set(spec.space, spec.windowMs);
    return spec.windowMs;
  }

  private down(reason: string): void {
    if (this.outage !== undefined) return;
    this.outage = reason;
    this.opts.logger.warn('shared limits unavailable: Redis did not answer; the limits fallback decides until it does', {
      redis: redactUrl(this.opts.url),
      reason,
    });
  }

  private up(): void {
    if (this.outage === undefined) return;
    this.outage = undefined;
    this.opts.logger.info('shared limits restored: Redis answers again', { redis: redactUrl(this.opts.url) });
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
