import { ChdbDriver, migrate, type StoreDriver } from '../../src/storage/index.js';
import { FIXED_DATE_RETENTION_DAYS } from '../../examples/workload/writers.js';
import { tempDir } from './temp.js';

/**
 * One chDB data directory per test process (chDB allows one per process) and a unique
 * database per call, as clickhouse-js tests do with a real server.
 */
let sharedDir: string | undefined;
let counter = 0;

export function testDataDir(): string {
  sharedDir ??= tempDir('test');
  return sharedDir;
}

export function uniqueDatabase(prefix = 't'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A migrated embedded store in a fresh database. Close it when done. */
export async function openTestStore(opts: { migrate?: boolean; settings?: Record<string, string | number> } = {}): Promise<StoreDriver> {
  const driver = await ChdbDriver.open({ path: testDataDir(), database: uniqueDatabase(), ...(opts.settings ? { settings: opts.settings } : {}) });
  if (opts.migrate !== false) await migrate(driver, { ttlDays: FIXED_DATE_RETENTION_DAYS });
  return driver;
}
