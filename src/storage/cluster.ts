import { ErrorCodes, WardenError, errorMessage } from '../core/index.js';
import type { StoreDriver } from './driver.js';
import { loadMigrations, pendingMigrations, renderMigration, type Migration, type MigrateResult } from './migrations.js';
import { Tables, qualified, quoteIdent } from './schema.js';

/**
 * Migrations for a ClickHouse cluster (`warden migrate --cluster NAME`). Each table
 * becomes `<name>_local` with a Replicated engine on every node, plus a Distributed table
 * under the original name, so every query Warden runs is unchanged. Materialized views
 * read and write the local tables: they fire where the rows land.
 * All DDL carries ON CLUSTER (DDL is not replicated otherwise).
 */
export const LOCAL_SUFFIX = '_local';

/** Distributed sharding keys: all spans of a trace on one shard, so a redelivered span meets its twin. */
const SHARDING_KEYS: Record<string, string> = {
  [Tables.OTEL_TRACES]: 'cityHash64(TraceId)',
  [Tables.OTEL_TRACES_TRACE_ID_TS]: 'cityHash64(TraceId)',
  [Tables.TOOL_CALLS]: 'cityHash64(trace_id)',
};

export interface ClusterRenderOptions {
  database: string;
  cluster: string;
  ttlDays?: number;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (`[A-Za-z0-9_]+`)\.([A-Za-z0-9_]+)\s/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS /;
const ENGINE = /ENGINE\s*=\s*([A-Za-z]*MergeTree)\s*(\(([^)]*)\))?/;

/** One migration's statements rewritten for `cluster`. */
export function renderClusterMigration(text: string, opts: ClusterRenderOptions): string[] {
  const single = renderMigration(text, { database: opts.database, cluster: opts.cluster, ...(opts.ttlDays !== undefined ? { ttlDays: opts.ttlDays } : {}) });
  const local = localTablesOf(single);
  const out: string[] = [];
  for (const statement of single) {
    const table = CREATE_TABLE.exec(statement);
    if (table && ENGINE.test(statement)) out.push(...clusterTable(statement, table[2] as string, opts));
    else if (CREATE_MV.test(statement)) out.push(pointAtLocalTables(statement, opts.database, local));
    else out.push(...alterTables(statement, opts.database, local));
  }
  return out;
}

/** Every migration, for printing (`warden migrate --cluster NAME --print`). */
export function renderClusterSql(opts: ClusterRenderOptions, migrations: Migration[] = loadMigrations()): string {
  const parts = [`-- Warden schema for cluster ${opts.cluster}, database ${opts.database}`, ...clusterBootstrap(opts).map((s) => s + ';')];
  for (const m of migrations) {
    parts.push(`\n-- ${m.name} (sha256 ${m.checksum.slice(0, 12)})`);
    for (const statement of renderClusterMigration(m.text, opts)) parts.push(statement + ';');
  }
  return parts.join('\n') + '\n';
}

/** The database and a replicated migrations record, created before any migration. */
export function clusterBootstrap(opts: ClusterRenderOptions): string[] {
  const onCluster = `ON CLUSTER ${quoteIdent(opts.cluster)}`;
  // One replication path for the record (no {shard}): every node sees the same history.
  const path = `/clickhouse/warden/${opts.database}/schema_migrations`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)} ${onCluster}`,
    `CREATE TABLE IF NOT EXISTS ${qualified(opts.database, Tables.SCHEMA_MIGRATIONS)} ${onCluster} (
    version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
  ) ENGINE = ReplicatedMergeTree('${path}', '{replica}') ORDER BY version`,
  ];
}

/** Applies pending migrations to a server that is part of `cluster`. */
export async function migrateCluster(driver: StoreDriver, opts: { cluster: string; ttlDays?: number }, all: Migration[] = loadMigrations()): Promise<MigrateResult> {
  const render = { database: driver.database, cluster: opts.cluster, ...(opts.ttlDays !== undefined ? { ttlDays: opts.ttlDays } : {}) };
  for (const statement of clusterBootstrap(render)) await driver.command(statement);
  const pending = await pendingMigrations(driver, all);
  for (const m of pending) {
    for (const statement of renderClusterMigration(m.text, render)) {
      try {
        await driver.command(statement);
      } catch (cause) {
        throw new WardenError(ErrorCodes.MIGRATION_FAILED, `migration ${m.name} failed on cluster ${opts.cluster}: ${errorMessage(cause)}`, { cause });
      }
    }
    await driver.insertJsonEachRow(Tables.SCHEMA_MIGRATIONS, [{ version: m.version, name: m.name, checksum: m.checksum }]);
  }
  return { applied: pending, alreadyApplied: all.filter((m) => !pending.includes(m)) };
}

function clusterTable(statement: string, table: string, opts: ClusterRenderOptions): string[] {
  const db = quoteIdent(opts.database);
  const localName = table + LOCAL_SUFFIX;
  const localDdl = statement
    .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${db}.${localName} `)
    .replace(ENGINE, (_m, engine: string, _p, args: string | undefined) => `ENGINE = Replicated${engine}(${args ?? ''})`);
  const key = SHARDING_KEYS[table] ?? 'rand()';
  const distributed =
    `CREATE TABLE IF NOT EXISTS ${db}.${table} ON CLUSTER ${quoteIdent(opts.cluster)} AS ${db}.${localName}\n` +
    `ENGINE = Distributed('${opts.cluster}', '${opts.database}', '${localName}', ${key})`;
  return [localDdl, distributed];
}

function localTablesOf(statements: string[]): Set<string> {
  const names = new Set<string>();
  for (const s of statements) {
    const m = CREATE_TABLE.exec(s);
    if (m && ENGINE.test(s)) names.add(m[2] as string);
  }
  return names;
}

/** Tables earlier migrations created with a MergeTree engine: `_local` tables on a cluster. */
const MERGE_TREE_TABLES: readonly string[] = [Tables.OTEL_TRACES, Tables.OTEL_TRACES_TRACE_ID_TS, Tables.TOOL_CALLS, Tables.TOOL_CALLS_1M, Tables.TOOL_CALLS_10M, Tables.TOOL_INVENTORY, Tables.ALERT_EVENTS];

const withEarlierTables = (created: Set<string>) => new Set([...created, ...MERGE_TREE_TABLES]);

/** `TO db.t` and `FROM db.t` of a materialized view → the `_local` tables. */
function pointAtLocalTables(statement: string, database: string, localTables: Set<string>): string {
  const db = quoteIdent(database);
  const known = withEarlierTables(localTables);
  return statement.replace(new RegExp(`\\b(TO|FROM) ${escapeRegExp(db)}\\.([A-Za-z0-9_]+)\\b`, 'g'), (whole, keyword: string, name: string) =>
    known.has(name) ? `${keyword} ${db}.${name}${LOCAL_SUFFIX}` : whole,
  );
}

const ADD_COLUMN = /^ALTER TABLE \S+ ON CLUSTER \S+ ADD COLUMN /;

/** A column's computed-value clause, to the end of the statement. */
const COLUMN_EXPRESSION = /\s+(MATERIALIZED|DEFAULT|ALIAS)\s[\s\S]*$/;

/**
 * An ALTER goes to the `_local` tables (a Distributed table takes no MergeTree settings or
 * mutations); a new column also to the Distributed table, whose own column list is what a
 * query through it may name. There it is a plain column: the local tables compute and store
 * it, and ClickHouse's maintainers advise against MATERIALIZED columns on a Distributed table
 * (they interfere with inserts through it: ClickHouse issue 9439).
 */
function alterTables(statement: string, database: string, localTables: Set<string>): string[] {
  const local = alterLocalTable(statement, database, localTables);
  return local !== statement && ADD_COLUMN.test(statement) ? [local, statement.replace(COLUMN_EXPRESSION, '')] : [local];
}

/** `ALTER TABLE db.t` of a MergeTree table → its `_local` table. */
function alterLocalTable(statement: string, database: string, localTables: Set<string>): string {
  const db = quoteIdent(database);
  const known = withEarlierTables(localTables);
  return statement.replace(new RegExp(`^ALTER TABLE ${escapeRegExp(db)}\\.([A-Za-z0-9_]+)\\b`), (whole, name: string) =>
    known.has(name) ? `ALTER TABLE ${db}.${name}${LOCAL_SUFFIX}` : whole,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
