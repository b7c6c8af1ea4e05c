import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session } from 'chdb';
import { ErrorCodes, WardenError, errorMessage, type Result } from '../core/index.js';
import { OUTPUT_SETTINGS, pingByVersion, settingsClause, type InsertOptions, type QueryOptions, type StoreDriver } from './driver.js';
import { assertIdent, quoteIdent } from './schema.js';

export interface ChdbDriverOptions {
  /** Data directory; created when missing. */
  path: string;
  database: string;
  /** Session-wide settings, e.g. a max_execution_time budget for an analytics connection. */
  settings?: Record<string, string | number | boolean>;
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
      session = new ChdbSession(location);
    } catch (cause) {
      throw openFailure(location, cause);
    }
    const driver = new ChdbDriver(session, location, opts.database);
    for (const [name, value] of Object.entries({ ...OUTPUT_SETTINGS, ...opts.settings })) {
      await driver.command(`SET ${name} = ${typeof value === 'string' ? `'${value}'` : Number(value)}`);
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
