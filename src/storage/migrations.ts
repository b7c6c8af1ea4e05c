import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, WardenError, errorMessage, sha256Hex } from '../core/index.js';
import type { StoreDriver } from './driver.js';
import { DEFAULT_RETENTION_DAYS, Tables, qualified, quoteIdent, retentionDaysProblem } from './schema.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  /** sha256 of the file as written (placeholders unexpanded), so settings never change it. */
  checksum: string;
  text: string;
}

export interface RenderOptions {
  database: string;
  ttlDays?: number;
  /** Cluster name: emits ON CLUSTER (see cluster.ts for engines and Distributed tables). */
  cluster?: string;
}

export interface MigrateResult {
  applied: Migration[];
  alreadyApplied: Migration[];
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      return { version: Number(file.slice(0, 4)), name: file.replace(/\.sql$/, ''), checksum: sha256Hex(text), text };
    });
}

/** Expands placeholders and splits a migration into statements (one per `;` at a line end). */
export function renderMigration(text: string, opts: RenderOptions): string[] {
  const ttlDays = opts.ttlDays ?? DEFAULT_RETENTION_DAYS;
  const problem = retentionDaysProblem(ttlDays);
  if (problem) throw new WardenError(ErrorCodes.CONFIG_INVALID, problem);
  const expanded = text
    .replace(/\{\{db\}\}/g, quoteIdent(opts.database))
    .replace(/\{\{ttl_days\}\}/g, String(ttlDays))
    .replace(/\{\{on_cluster\}\}/g, opts.cluster ? `ON CLUSTER ${quoteIdent(opts.cluster)}` : '');
  return expanded
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

async function ensureMigrationsTable(driver: StoreDriver): Promise<void> {
  await driver.command(`CREATE TABLE IF NOT EXISTS ${qualified(driver.database, Tables.SCHEMA_MIGRATIONS)} (
    version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
  ) ENGINE = MergeTree ORDER BY version`);
}

export async function appliedMigrations(driver: StoreDriver): Promise<Map<number, { name: string; checksum: string }>> {
  await ensureMigrationsTable(driver);
  const rows = await driver.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${qualified(driver.database, Tables.SCHEMA_MIGRATIONS)} ORDER BY version`,
  );
  return new Map(rows.map((r) => [r.version, { name: r.name, checksum: r.checksum }]));
}

/** Migrations not yet applied; throws when an applied one was edited afterwards. */
export async function pendingMigrations(driver: StoreDriver, all: Migration[] = loadMigrations()): Promise<Migration[]> {
  const applied = await appliedMigrations(driver);
  const pending: Migration[] = [];
  for (const m of all) {
    const done = applied.get(m.version);
    if (!done) pending.push(m);
    else if (done.checksum !== m.checksum) {
      throw new WardenError(
        ErrorCodes.MIGRATION_CHECKSUM,
        `migration ${m.name} was edited after it was applied (checksum ${m.checksum.slice(0, 12)} ≠ recorded ${done.checksum.slice(0, 12)})`,
        { hint: 'never edit an applied migration: restore it and add a new NNNN_*.sql file instead' },
      );
    }
  }
  return pending;
}

/** Applies every pending migration in order and records each with its checksum. */
export async function migrate(driver: StoreDriver, opts: Omit<RenderOptions, 'database'> = {}, all?: Migration[]): Promise<MigrateResult> {
  const migrations = all ?? loadMigrations();
  const pending = await pendingMigrations(driver, migrations);
  for (const m of pending) {
    for (const statement of renderMigration(m.text, { ...opts, database: driver.database })) {
      try {
        await driver.command(statement);
      } catch (cause) {
        throw new WardenError(ErrorCodes.MIGRATION_FAILED, `migration ${m.name} failed: ${errorMessage(cause)}`, { cause });
      }
    }
    await driver.insertJsonEachRow(Tables.SCHEMA_MIGRATIONS, [
      { version: m.version, name: m.name, checksum: m.checksum },
    ]);
  }
  return { applied: pending, alreadyApplied: migrations.filter((m) => !pending.includes(m)) };
}
