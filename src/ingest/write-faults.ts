import { errorMessage, type Logger } from '../core/index.js';
import { clickhouseErrorOf, describeStoreFailure } from '../storage/index.js';

const BACKOFF_MS = { first: 250, max: 5000 };

/**
 * The batch writer's view of a store that refuses writes: what the fault is, since when, how
 * long to wait before the next try (doubling up to 5 s), and one log line per fault (again
 * only when its cause changes, and once more when the store recovers), never one per retry.
 */
export class WriteFaults {
  private fault: { since: number; kind: string; retries: number } | undefined;
  private backoffMs = BACKOFF_MS.first;

  constructor(private readonly logger: Logger, private readonly walDir: string | undefined) {}

  get active(): boolean {
    return this.fault !== undefined;
  }

  /** "NOT_ENOUGH_SPACE" or the like, while a fault lasts. */
  get kind(): string | undefined {
    return this.fault?.kind;
  }

  get since(): number | undefined {
    return this.fault?.since;
  }

  /** An insert failed on a store fault; returns how long to wait before trying again. */
  failed(e: unknown, waitingRows: number): number {
    const { name, code } = clickhouseErrorOf(e);
    const kind = name ?? (code !== undefined ? `code ${code}` : errorMessage(e).split('\n')[0]?.slice(0, 120) ?? 'unknown');
    if (this.fault?.kind !== kind) {
      this.logger.error('the store is not accepting writes; accepted rows are kept and retried until it does', {
        error: describeStoreFailure(e), rows: waitingRows, ...(this.walDir ? { wal: this.walDir } : {}),
      });
      this.fault = { since: this.fault?.since ?? Date.now(), kind, retries: this.fault?.retries ?? 0 };
    }
    this.fault.retries += 1;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MS.max);
    return wait;
  }

  /** An insert went through. */
  succeeded(): void {
    if (this.fault) {
      this.logger.info('the store accepts writes again', { kind: this.fault.kind, afterSeconds: Math.round((Date.now() - this.fault.since) / 1000), retries: this.fault.retries });
      this.fault = undefined;
    }
    this.backoffMs = BACKOFF_MS.first;
  }
}
