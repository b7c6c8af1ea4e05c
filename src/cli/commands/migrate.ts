import type { Command } from 'commander';
import { readEnv, resolveStoreConfig, DEFAULT_RETENTION_DAYS, type StoreFlags } from '../../config/index.js';
import { ErrorCodes, WardenError } from '../../core/index.js';
import { addStoreOptions, openStore } from '../store.js';

type Storage = typeof import('../../storage/index.js');

interface MigrateFlags extends StoreFlags {
  cluster?: string;
  print?: boolean;
  json?: boolean;
  retentionDays?: string;
}

export function registerMigrateCommand(program: Command): void {
  const cmd = program
    .command('migrate')
    .description('apply migrations/NNNN_*.sql to the configured store (each once, recorded with a checksum)')
    .option('--cluster <name>', 'ClickHouse cluster: ON CLUSTER, Replicated engines, *_local + Distributed tables')
    .option('--print', 'print the SQL instead of applying it')
    .option('--retention-days <n>', 'days of data to keep (TTL)')
    .option('--json', 'print what was applied as JSON');
  addStoreOptions(cmd).action(async (flags: MigrateFlags) => {
    const store = resolveStoreConfig(flags, readEnv());
    const ttlDays = flags.retentionDays === undefined ? undefined : Number(flags.retentionDays);
    if (ttlDays !== undefined && (!Number.isInteger(ttlDays) || ttlDays < 1)) {
      throw new WardenError(ErrorCodes.CONFIG_INVALID, `--retention-days must be a positive integer, got "${flags.retentionDays}"`);
    }
    const storage: Storage = await import('../../storage/index.js');
    const { applyRetention, migrate, migrateCluster } = storage;
    if (flags.print) {
      process.stdout.write(printSql(storage, store.database, flags.cluster, ttlDays));
      return;
    }
    if (flags.cluster && store.kind === 'embedded') {
      throw new WardenError(ErrorCodes.CONFIG_INVALID, '--cluster needs a ClickHouse server (--clickhouse-url)', {
        hint: 'or use --print to get the cluster SQL',
      });
    }
    const driver = await openStore(store);
    try {
      const opts = ttlDays !== undefined ? { ttlDays } : {};
      const result = flags.cluster ? await migrateCluster(driver, { cluster: flags.cluster, ...opts }) : await migrate(driver, opts);
      const retention = ttlDays !== undefined && !flags.cluster ? await applyRetention(driver, ttlDays) : [];
      if (flags.json) {
        process.stdout.write(JSON.stringify({
          store: { kind: driver.kind, location: driver.location, database: driver.database },
          applied: result.applied.map((m) => m.name),
          already_applied: result.alreadyApplied.map((m) => m.name),
          retention,
        }, null, 2) + '\n');
        return;
      }
      const where = `${driver.kind} store ${driver.location} (database ${driver.database})`;
      if (result.applied.length === 0) process.stdout.write(`${where} is up to date (${result.alreadyApplied.length} migrations)\n`);
      else process.stdout.write(`applied ${result.applied.length} migration(s) to ${where}: ${result.applied.map((m) => m.name).join(', ')}\n`);
      for (const c of retention) process.stdout.write(`retention of ${c.table}: ${c.fromDays} → ${c.toDays} days\n`);
    } finally {
      await driver.close();
    }
  });
}

function printSql(storage: Storage, database: string, cluster: string | undefined, ttlDays: number | undefined): string {
  const { loadMigrations, renderClusterSql, renderMigration } = storage;
  if (cluster) return renderClusterSql({ database, cluster, ...(ttlDays !== undefined ? { ttlDays } : {}) });
  const parts: string[] = [`-- Warden schema, database ${database}`];
  for (const m of loadMigrations()) {
    parts.push(`\n-- ${m.name} (sha256 ${m.checksum.slice(0, 12)})`);
    for (const s of renderMigration(m.text, { database, ttlDays: ttlDays ?? DEFAULT_RETENTION_DAYS })) parts.push(s + ';');
  }
  return parts.join('\n') + '\n';
}
