import type { Command } from 'commander';
import { readEnv, resolveStoreConfig, type StoreConfig, type StoreFlags } from '../config/index.js';
import type { StoreDriver } from '../storage/index.js';

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
