import { err, errorMessage, ok, type Result } from '../core/index.js';
import { sqlStringLiteral } from './schema.js';


/** Settings values passed to ClickHouse (e.g. max_execution_time). */
export type Settings = Record<string, string | number | boolean>;

export interface QueryOptions {
  /** Bound parameters for `{name:Type}` placeholders; values are never spliced into SQL. */
  params?: Record<string, unknown>;
  /** Per-query settings, appended as a SETTINGS clause (write queries without one). */
  settings?: Settings;
}

export interface InsertOptions {
  /** Explicit column list for the INSERT. */
  columns?: readonly string[];
  settings?: Settings;
}

export type StoreKind = 'embedded' | 'server';

/**
 * The seam between Warden and ClickHouse. Two implementations run the same SQL:
 * chDB in-process (embedded, default) and a ClickHouse server over HTTP.
 * Query results come back as plain rows (JSONEachRow with 64-bit integers as numbers
 * and DateTime values in ISO-8601 UTC).
 */
export interface StoreDriver {
  readonly kind: StoreKind;
  /** The database Warden's tables live in. */
  readonly database: string;
  /** Where the store is: a directory or a URL without credentials. */
  readonly location: string;
  query<T = Record<string, unknown>>(sql: string, opts?: QueryOptions): Promise<T[]>;
  command(sql: string, opts?: QueryOptions): Promise<void>;
  /** Insert JSONEachRow data into `table` (a name in this store's database): objects, or NDJSON text. */
  insertJsonEachRow(table: string, rows: readonly object[] | string | Buffer, opts?: InsertOptions): Promise<void>;
  ping(): Promise<Result<{ version: string }, string>>;
  close(): Promise<void>;
}

/** Applied to every query so both drivers return the same shapes. */
export const OUTPUT_SETTINGS: Settings = {
  output_format_json_quote_64bit_integers: 0,
  date_time_output_format: 'iso',
};

export function settingsClause(settings: Settings | undefined): string {
  if (!settings) return '';
  const entries = Object.entries(settings);
  if (entries.length === 0) return '';
  return '\nSETTINGS ' + entries.map(([k, v]) => `${assertSettingName(k)} = ${formatSettingValue(v)}`).join(', ');
}

function assertSettingName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid setting name: ${name}`);
  return name;
}

function formatSettingValue(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid setting value: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  return sqlStringLiteral(value);
}


/** Both drivers' `ping()`: the server's version, or why it could not be asked. */
export async function pingByVersion(driver: Pick<StoreDriver, 'query'>): Promise<Result<{ version: string }, string>> {
  try {
    const rows = await driver.query<{ v: string }>('SELECT version() AS v');
    return ok({ version: rows[0]?.v ?? 'unknown' });
  } catch (e) {
    return err(errorMessage(e));
  }
}
