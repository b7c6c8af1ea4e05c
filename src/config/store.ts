import { z } from 'zod';
import type { WardenEnv } from './env.js';
import { resolveSecret } from './secrets.js';

/** The database Warden's tables live in, unless configured otherwise. */
export const DEFAULT_DATABASE = 'warden';
export const DEFAULT_RETENTION_DAYS = 30;
/**
 * The longest retention accepted: a TTL is `column + toIntervalDay(days)`, and ClickHouse's
 * DateTime ends in 2106, so a longer one wraps into the past and expires every row at once.
 */
export const MAX_RETENTION_DAYS = 10_000;

/** Why `days` is not a usable retention, or undefined when it is. */
export function retentionDaysProblem(days: number): string | undefined {
  if (!Number.isInteger(days) || days < 1) return `retention days must be a positive integer, got ${days}`;
  if (days > MAX_RETENTION_DAYS) return `retention days must be at most ${MAX_RETENTION_DAYS} (ClickHouse's DateTime ends in 2106; a longer TTL would expire every row at once), got ${days}`;
  return undefined;
}
export const DEFAULT_STORE_DIR = '.warden/data';
/** `warden serve`'s port: the OTLP/HTTP default (OTLP specification, "OTLP/HTTP Default Port"), so exporters find it unconfigured. */
export const DEFAULT_SERVE_PORT = 4318;
export const DEFAULT_API_URL = `http://127.0.0.1:${DEFAULT_SERVE_PORT}`;
/** The same API as a browser on the Grafana host reaches it (dashboard links). */
export const DEFAULT_BROWSER_API_URL = `http://localhost:${DEFAULT_SERVE_PORT}`;

/** Where the store is: embedded chDB in a directory (default) or a ClickHouse server. */
export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('embedded'), path: z.string().min(1), database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.object({
    kind: z.literal('server'),
    url: z.url(),
    username: z.string().optional(),
    password: z.string().optional(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  }),
]);
export type StoreConfig = z.infer<typeof StoreConfigSchema>;

/** The command-line flags every store-using command accepts. */
export interface StoreFlags {
  store?: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhousePasswordFile?: string;
  clickhouseDatabase?: string;
}

/** Flags win over the environment; a ClickHouse URL selects the server driver. */
export function resolveStoreConfig(flags: StoreFlags, env: WardenEnv): StoreConfig {
  const url = flags.clickhouseUrl ?? env.CLICKHOUSE_URL;
  const database = flags.clickhouseDatabase ?? env.CLICKHOUSE_DATABASE ?? DEFAULT_DATABASE;
  if (url) {
    return StoreConfigSchema.parse({
      kind: 'server',
      url,
      username: flags.clickhouseUser ?? env.CLICKHOUSE_USER,
      password: resolveSecret({
        value: flags.clickhousePassword, file: flags.clickhousePasswordFile, env: env.CLICKHOUSE_PASSWORD,
        flag: '--clickhouse-password', fileFlag: '--clickhouse-password-file',
      }),
      database,
    });
  }
  return StoreConfigSchema.parse({ kind: 'embedded', path: flags.store ?? env.WARDEN_STORE ?? DEFAULT_STORE_DIR, database });
}

