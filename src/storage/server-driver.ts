import { Readable } from 'node:stream';
import { createClient, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { ErrorCodes, WardenError, errorMessage, type Result } from '../core/index.js';
import { OUTPUT_SETTINGS, pingByVersion, type InsertOptions, type QueryOptions, type Settings, type StoreDriver } from './driver.js';
import { qualified, quoteIdent } from './schema.js';
import { checkServerVersion } from './server-version.js';

export interface ServerDriverOptions {
  url: string;
  username?: string;
  password?: string;
  database: string;
  /** Settings sent with every query on this connection (e.g. a max_execution_time budget). */
  settings?: Settings;
  requestTimeoutMs?: number;
  /**
   * A ready-made @clickhouse/client transport instead of HTTP to `url` (e.g. chDB's
   * experimental `chdb/connection`); the contract tests run this driver over chDB that way.
   */
  connection?: ClientConnection;
}

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

type ClientSettings = NonNullable<Parameters<ClickHouseClient['query']>[0]['clickhouse_settings']>;

/**
 * A ClickHouse server over HTTP through @clickhouse/client. Runs the same SQL as the
 * embedded driver; on open it checks the server version and refuses one too old for the
 * schema, before any statement that would fail in a less helpful way.
 */
export class ServerDriver implements StoreDriver {
  readonly kind = 'server' as const;
  readonly database: string;
  readonly location: string;
  readonly version: string;
  private readonly client: ClickHouseClient;
  private readonly settings: ClientSettings;

  private constructor(client: ClickHouseClient, opts: ServerDriverOptions, version: string) {
    this.client = client;
    this.database = opts.database;
    this.location = redactUrl(opts.url);
    this.version = version;
    this.settings = { ...OUTPUT_SETTINGS, ...opts.settings } as ClientSettings;
  }

  static async open(opts: ServerDriverOptions): Promise<ServerDriver> {
    const where = redactUrl(opts.url);
    const client = createClient({
      url: opts.url,
      ...(opts.connection ? { connection: opts.connection } : {}),
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      request_timeout: opts.requestTimeoutMs ?? 60_000,
      application: 'warden',
      // Failures reach the caller as WardenErrors with Warden's wording; no second report on stderr.
      log: { level: ClickHouseLogLevel.OFF },
    });
    try {
      const version = await serverVersion(client, where);
      const checked = checkServerVersion(version, where);
      if (!checked.ok) {
        throw new WardenError(ErrorCodes.STORE_TOO_OLD, checked.error, {
          hint: 'upgrade the server, or drop --clickhouse-url to use the embedded store',
        });
      }
      const driver = new ServerDriver(client, opts, version);
      await driver.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)}`);
      return driver;
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  async query<T = Record<string, unknown>>(sql: string, opts: QueryOptions = {}): Promise<T[]> {
    try {
      const result = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        clickhouse_settings: this.merged(opts.settings),
        ...(opts.params ? { query_params: opts.params } : {}),
      });
      return await result.json<T>();
    } catch (e) {
      throw failure(e, sql, this.location);
    }
  }

  async command(sql: string, opts: QueryOptions = {}): Promise<void> {
    try {
      await this.client.command({
        query: sql,
        clickhouse_settings: this.merged(opts.settings),
        ...(opts.params ? { query_params: opts.params } : {}),
      });
    } catch (e) {
      throw failure(e, sql, this.location);
    }
  }

  async insertJsonEachRow(table: string, rows: readonly object[] | string | Buffer, opts: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    try {
      if (typeof rows === 'string' || Buffer.isBuffer(rows)) await this.insertRaw(table, rows, opts);
      else {
        await this.client.insert({
          table: qualified(this.database, table),
          values: [...rows],
          format: 'JSONEachRow',
          clickhouse_settings: this.merged(opts.settings),
          ...(opts.columns ? { columns: [...opts.columns] as [string, ...string[]] } : {}),
        });
      }
    } catch (e) {
      throw failure(e, `insert into ${table}`, this.location);
    }
  }

  /**
   * NDJSON as the request body, untouched. (client.insert() would JSON-encode each chunk
   * of a stream as a row object.)
   */
  private async insertRaw(table: string, text: string | Buffer, opts: InsertOptions): Promise<void> {
    const columns = opts.columns ? ` (${opts.columns.map((c) => quoteIdent(c)).join(', ')})` : '';
    const result = await this.client.exec({
      query: `INSERT INTO ${qualified(this.database, table)}${columns} FORMAT JSONEachRow`,
      values: Readable.from([typeof text === 'string' ? Buffer.from(text) : text]),
      clickhouse_settings: this.merged(opts.settings),
    });
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve).once('close', resolve).once('error', reject);
    });
  }

  ping(): Promise<Result<{ version: string }, string>> {
    return pingByVersion(this);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private merged(settings: Settings | undefined): ClientSettings {
    return (settings ? { ...this.settings, ...settings } : this.settings) as ClientSettings;
  }
}

/** Asked with no settings at all, so even a very old server answers instead of refusing a setting. */
async function serverVersion(client: ClickHouseClient, where: string): Promise<string> {
  try {
    const result = await client.query({ query: 'SELECT version()', format: 'TabSeparated' });
    return (await result.text()).trim();
  } catch (e) {
    throw failure(e, 'SELECT version()', where);
  }
}

function failure(e: unknown, sql: string, where: string): WardenError {
  if (e instanceof WardenError) return e;
  const message = errorMessage(e).split('\n')[0] ?? '';
  if (e instanceof ClickHouseError || !isNetworkError(e)) {
    const { type, code: chCode } = e as { type?: unknown; code?: unknown };
    const code = type === 'TIMEOUT_EXCEEDED' || chCode === '159' || /TIMEOUT_EXCEEDED/.test(message) ? ErrorCodes.STORE_TIMEOUT : ErrorCodes.STORE_QUERY;
    return new WardenError(code, `store query failed: ${message}`, { cause: e, details: { sql: sql.slice(0, 500) } });
  }
  return new WardenError(ErrorCodes.STORE_UNREACHABLE, `cannot reach the ClickHouse server at ${where}: ${message}`, {
    cause: e,
    hint: 'check --clickhouse-url, the credentials, and that the server is running',
  });
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Connection-level failures (the server is not there), as opposed to errors the server returned. */
function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return /socket hang up|Timeout error|connect ECONNREFUSED|request timed out/i.test(errorMessage(e));
}

/** The URL without user info, for messages and `location`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
