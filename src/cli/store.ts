import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCodes, WardenError } from '../core/index.js';
import { readEnv, resolveStoreConfig, type StoreConfig, type StoreFlags } from '../config/index.js';
import type { StoreDriver } from '../storage/index.js';
import { Tables } from '../storage/schema.js';

/** Adds the store flags shared by serve, migrate, suggest, simulate, … */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--store <dir>', 'embedded store directory (chDB; env WARDEN_STORE; default .warden/data)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead of the embedded store (env CLICKHOUSE_URL)')
    .option('--clickhouse-user <user>', 'ClickHouse user (env CLICKHOUSE_USER)')
    .option('--clickhouse-password-file <file>', 'a file holding the ClickHouse password (or env CLICKHOUSE_PASSWORD)')
    .option('--clickhouse-password <password>', 'the password itself (visible in ps: prefer the file or the environment)')
    .option('--clickhouse-database <db>', 'database for Warden\'s tables (env CLICKHOUSE_DATABASE; default warden)');
}

export function storeConfigFromFlags(flags: StoreFlags): StoreConfig {
  return resolveStoreConfig(flags, readEnv());
}

/**
 * Opens a driver for the configured store: chDB in a directory, or a ClickHouse server
 * (version-checked on connect). `settings` apply to every query on the connection;
 * `engineSettings` configure an embedded engine this connection starts (a server ignores them).
 */
export async function openStore(config: StoreConfig, settings?: Record<string, string | number>, engineSettings?: Record<string, string | number>): Promise<StoreDriver> {
  // Loaded on use: commands that never open a store (proxy, policy) do not pay for the drivers.
  const { ChdbDriver, ServerDriver } = await import('../storage/index.js');
  if (config.kind === 'embedded') {
    return ChdbDriver.open({ path: config.path, database: config.database, ...(settings ? { settings } : {}), ...(engineSettings ? { engineSettings } : {}) });
  }
  return ServerDriver.open({
    url: config.url,
    database: config.database,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(settings ? { settings } : {}),
  });
}

const WHAT_TO_RUN =
  'record calls with `warden serve` (proxies send it their spans), or try `warden demo`; ' +
  'or point at a store with --store DIR or --clickhouse-url URL (a serve running at --api is asked first)';

function noStore(message: string): WardenError {
  return new WardenError(ErrorCodes.STORE_MISSING, message, { hint: WHAT_TO_RUN });
}

/**
 * Opens the store a read command (suggest, simulate, …) reads, without creating one: an
 * embedded directory that is not there, or a store without Warden's tables, is said in
 * Warden's words with what to run, instead of ClickHouse's "Unknown table expression".
 */
export async function openStoreForReading(config: StoreConfig): Promise<StoreDriver> {
  if (config.kind === 'embedded' && !existsSync(config.path)) {
    throw noStore(`no Warden store at ${config.path}: nothing has been recorded here`);
  }
  const store = await openStore(config);
  try {
    const rows = await store.query<{ n: number }>(
      'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
      { params: { db: store.database, table: Tables.TOOL_CALLS } },
    );
    if (!rows[0]?.n) throw noStore(`the store at ${store.location} has no Warden tables in database ${store.database}: nothing has been recorded there`);
    return store;
  } catch (e) {
    await store.close();
    throw e;
  }
}
