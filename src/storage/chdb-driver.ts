import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session } from 'chdb';
import { ErrorCodes, WardenError, errorMessage, type Result } from '../core/index.js';
import { OUTPUT_SETTINGS, pingByVersion, settingsClause, type InsertOptions, type QueryOptions, type StoreDriver } from './driver.js';
import { assertIdent, quoteIdent, sqlStringLiteral } from './schema.js';

export interface ChdbDriverOptions {
  /** Data directory; created when missing. */
  path: string;
  database: string;
  /** Session-wide settings, e.g. a max_execution_time budget for an analytics connection. */
  settings?: Record<string, string | number | boolean>;
  /**
   * Engine (server) settings, e.g. `{ max_server_memory_usage: 2e9 }`, given to chDB when the
   * connection is created. The process's first connection to a directory starts the engine, so
   * only that one's settings take effect; later connections share that engine.
   */
  engineSettings?: Record<string, string | number>;
}

/**
 * Embedded ClickHouse through chDB. One data directory belongs to one process at a time;
 * inside a process several drivers (Sessions) on the same directory run concurrently,
 * while each one runs its operations one after another.
 */
export class ChdbDriver implements StoreDriver {
  readonly kind = 'embedded' as const;
  readonly database: string;
  readonly location: string;
  private readonly session: Session;

  private constructor(session: Session, location: string, database: string) {
    this.session = session;
    this.location = location;
    this.database = database;
  }

  static async open(opts: ChdbDriverOptions): Promise<ChdbDriver> {
    const location = resolve(opts.path);
    mkdirSync(location, { recursive: true });
    // chDB is loaded on first use: importing it costs ~150 MiB and ~0.5 s, which commands
    // that never open the embedded store (proxy, policy) must not pay.
    const { Session: ChdbSession } = await import('chdb');
    let session: Session;
    try {
      const connectionArgs = Object.entries(opts.engineSettings ?? {}).map(([name, value]) => `--${engineSettingName(name)}=${value}`);
      session = new ChdbSession(location, connectionArgs.length > 0 ? { connectionArgs } : undefined);
    } catch (cause) {
      throw openFailure(location, cause);
    }
    const driver = new ChdbDriver(session, location, opts.database);
    for (const [name, value] of Object.entries({ ...OUTPUT_SETTINGS, ...opts.settings })) {
      await driver.command(`SET ${name} = ${typeof value === 'string' ? sqlStringLiteral(value) : Number(value)}`);
    }
    await driver.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)}`);
    return driver;
  }

  async query<T = Record<string, unknown>>(sql: string, opts: QueryOptions = {}): Promise<T[]> {
    const text = await this.run(sql + settingsClause(opts.settings), opts.params, 'JSONEachRow');
    return parseJsonEachRow<T>(text);
  }

  async command(sql: string, opts: QueryOptions = {}): Promise<void> {
    await this.run(sql + settingsClause(opts.settings), opts.params, 'TabSeparated');
  }

  async insertJsonEachRow(table: string, rows: readonly object[] | string | Buffer, opts: InsertOptions = {}): Promise<void> {
    const values = typeof rows === 'string' || Buffer.isBuffer(rows) ? rows : rows.map((r) => JSON.stringify(r)).join('\n');
    if (values.length === 0) return;
    try {
      await this.session.insert({
        table: `${this.database}.${assertIdent(table)}`,
        values,
        format: 'JSONEachRow',
        ...(opts.columns ? { columns: opts.columns } : {}),
        ...(opts.settings ? { settings: opts.settings } : {}),
      });
    } catch (cause) {
      throw queryFailure(cause, `insert into ${table}`);
    }
  }

  ping(): Promise<Result<{ version: string }, string>> {
    return pingByVersion(this);
  }

  async close(): Promise<void> {
    if (this.session.open) this.session.close();
  }

  private async run(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<string> {
    try {
      const result = params
        ? await this.session.queryBindAsync(sql, params, { format })
        : await this.session.queryAsync(sql, { format });
      return result.text();
    } catch (cause) {
      throw queryFailure(cause, sql);
    }
  }
}

/** What an embedded engine memory budget means in chDB's own settings. */
export interface EmbeddedMemoryBudget {
  /** Server settings for the connection that starts the engine (ChdbDriverOptions.engineSettings). */
  engine: Record<string, number>;
  /** Session settings for on-demand query connections (the API): one query's share, spilling to disk before it fails. */
  query: Record<string, number>;
  /** The same for background work that repeats on its own (the alert loop): a smaller share. */
  background: Record<string, number>;
}

/**
 * Turns one number, the bytes the embedded engine may use, into chDB settings. Without it
 * chDB sizes itself for the whole machine (a 90 % of RAM limit, 5 GiB caches) and its
 * allocator keeps freed pages until they reach 20 % of that limit, so the resident size of
 * a busy process drifts upward. With it: the engine's tracked memory stays under `bytes`
 * (beyond it a query fails rather than the process growing), freed pages are returned once
 * more than 5 % of the budget is idle, merges are not started past half the budget, the
 * caches are a sixteenth each, and one API query may use half (sorting and grouping on disk
 * past a quarter), one background query a quarter (on disk past an eighth): a query that
 * outgrows its share fails alone, and inserts keep room.
 */
export function embeddedMemoryBudget(bytes: number): EmbeddedMemoryBudget {
  const share = (divisor: number) => Math.floor(bytes / divisor);
  return {
    engine: {
      max_server_memory_usage: Math.floor(bytes),
      memory_worker_purge_dirty_pages_threshold_ratio: 0.05,
      merges_mutations_memory_usage_soft_limit: share(2),
      mark_cache_size: share(16),
      index_mark_cache_size: share(16),
      primary_index_cache_size: share(16),
    },
    query: querySettings(share(2)),
    background: querySettings(share(4)),
  };
}

/**
 * The spill points are bytes of the query's own share. ClickHouse 26's ratio settings (spill
 * once a query holds half of the memory it estimates is free) are turned off: in-process,
 * that estimate counts the engine's caches, and they spilled a 2.3 M-key GROUP BY to disk at a
 * fraction of its share, 2–3× slower (measured on the 10 M-call busy-organisation store).
 *
 * ClickHouse 26.6+ also lowers a query's threads to (free engine memory) / 1 GiB
 * (`max_threads_min_free_memory_per_thread`, default 1 GiB): under a 1 GiB budget every query
 * ran on one thread, whatever the cores (a 2-core machine: suggest over a busy week 2.3–2.6 s
 * on one thread, 1.4–1.9 s on two). A thread here asks for an eighth of its query's share to be
 * free: a starved engine still falls back to one thread, and the share bounds the query anyway.
 */
function querySettings(maxBytes: number): Record<string, number> {
  const spillAt = Math.floor(maxBytes / 2);
  return {
    max_memory_usage: maxBytes,
    max_bytes_before_external_sort: spillAt,
    max_bytes_before_external_group_by: spillAt,
    max_bytes_ratio_before_external_sort: 0,
    max_bytes_ratio_before_external_group_by: 0,
    max_threads_min_free_memory_per_thread: Math.floor(maxBytes / 8),
  };
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line.length > 0) rows.push(JSON.parse(line) as T);
  return rows;
}

function queryFailure(cause: unknown, what: string): WardenError {
  const message = errorMessage(cause);
  const code = /TIMEOUT_EXCEEDED|Timeout exceeded/.test(message) ? ErrorCodes.STORE_TIMEOUT : ErrorCodes.STORE_QUERY;
  return new WardenError(code, `store query failed: ${message.split('\n')[0]}`, { cause, details: { sql: what.slice(0, 500) } });
}

/** chDB only says "Failed to create connection"; name the lock and its holder ourselves. */
function openFailure(location: string, cause: unknown): WardenError {
  const holder = lockHolder(location);
  if (holder) {
    return new WardenError(
      ErrorCodes.STORE_LOCKED,
      `the embedded store at ${location} is in use by another process (pid ${holder.pid}${holder.command ? `: ${holder.command}` : ''}); it holds the lock file ${location}/status`,
      { cause, hint: 'talk to the running `warden serve` with --api URL, stop it, or use another --store directory' },
    );
  }
  return new WardenError(ErrorCodes.STORE_UNREACHABLE, `cannot open the embedded store at ${location}: ${errorMessage(cause)}`, { cause });
}

function lockHolder(location: string): { pid: number; command: string | undefined } | undefined {
  const statusFile = resolve(location, 'status');
  if (!existsSync(statusFile)) return undefined;
  const pidMatch = /PID:\s*(\d+)/.exec(readFileSync(statusFile, 'utf8'));
  if (!pidMatch) return undefined;
  const pid = Number(pidMatch[1]);
  if (pid === process.pid) return { pid, command: 'this process' };
  let command: string | undefined;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return undefined; // the recorded holder is gone: not a live lock
  }
  return { pid, command };
}

/** A server setting name as chDB takes it on its command line (dotted for nested keys). */
function engineSettingName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`invalid engine setting name: ${name}`);
  return name;
}
