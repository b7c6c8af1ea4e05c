import { ErrorCodes, WardenError } from '../../src/core/index.js';
import type { InsertOptions, QueryOptions, StoreDriver } from '../../src/storage/index.js';

/** Messages as ClickHouse words them for the faults a store has in real life (code, name, text). */
export const STORE_FAULTS = {
  NOT_ENOUGH_SPACE: [243, 'Cannot reserve 1.00 MiB, not enough space'],
  TOO_MANY_PARTS: [252, 'Too many parts (3001 with average size of 1.05 KiB) in table \'warden.otel_traces\'. Merges are processing significantly slower than inserts'],
  READONLY: [164, 'Cannot execute query in readonly mode'],
  AUTHENTICATION_FAILED: [516, 'default: Authentication failed: password is incorrect, or there is no user with such name'],
  MEMORY_LIMIT_EXCEEDED: [241, 'Memory limit (total) exceeded: would use 1.00 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 1.00 GiB'],
  TIMEOUT_EXCEEDED: [159, 'Timeout exceeded: elapsed 30.0 seconds, maximum: 30'],
  NETWORK_ERROR: [210, 'Connection reset by peer, while writing to socket'],
} as const satisfies Record<string, readonly [number, string]>;

export type StoreFaultName = keyof typeof STORE_FAULTS;

/** The error the real drivers raise for such a fault (their "store query failed: Code: N. DB::Exception: …" shape). */
export function storeFault(name: StoreFaultName): WardenError {
  const [code, text] = STORE_FAULTS[name];
  const cause = new Error(`Code: ${code}. DB::Exception: ${text}. (${name})`);
  return new WardenError(ErrorCodes.STORE_QUERY, `store query failed: ${cause.message}`, { cause });
}

/**
 * Wraps a real driver (chDB in tests) and makes its inserts fail with a real ClickHouse fault
 * for a while; everything else, and every insert outside the fault, goes to the real driver.
 */
export class FaultyStore implements StoreDriver {
  private faultUntil = 0;
  private fault: StoreFaultName = 'NOT_ENOUGH_SPACE';
  insertFailures = 0;

  constructor(private readonly inner: StoreDriver) {}

  get kind() { return this.inner.kind; }
  get database() { return this.inner.database; }
  get location() { return this.inner.location; }

  /** Inserts fail with `fault` for the next `ms` milliseconds. */
  failInserts(fault: StoreFaultName, ms: number): void {
    this.fault = fault;
    this.faultUntil = Date.now() + ms;
  }

  heal(): void {
    this.faultUntil = 0;
  }

  async insertJsonEachRow(table: string, rows: readonly object[] | string | Buffer, opts?: InsertOptions): Promise<void> {
    if (Date.now() < this.faultUntil) {
      this.insertFailures += 1;
      throw storeFault(this.fault);
    }
    return this.inner.insertJsonEachRow(table, rows, opts);
  }

  query<T = Record<string, unknown>>(sql: string, opts?: QueryOptions): Promise<T[]> { return this.inner.query<T>(sql, opts); }
  command(sql: string, opts?: QueryOptions): Promise<void> { return this.inner.command(sql, opts); }
  ping() { return this.inner.ping(); }
  close(): Promise<void> { return this.inner.close(); }
}
