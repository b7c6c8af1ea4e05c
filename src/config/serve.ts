import { join } from 'node:path';
import { ErrorCodes, WardenError, isLoopbackHost, parseDurationMs } from '../core/index.js';
import type { WardenEnv } from './env.js';
import { parseByteSize, positiveInt } from './values.js';
import { resolveSecret } from './secrets.js';
import { DEFAULT_RETENTION_DAYS, DEFAULT_SERVE_PORT, resolveStoreConfig, retentionDaysProblem, type StoreConfig, type StoreFlags } from './store.js';

export const DEFAULT_LISTEN = `127.0.0.1:${DEFAULT_SERVE_PORT}`;
export const DEFAULT_ALERT_INTERVAL = '15s';
/** Each analytics query's time budget on its own connection, so it never starves ingest. */
export const DEFAULT_ANALYTICS_MAX_EXECUTION_S = 30;
/** What the embedded engine (chDB) may use; see embeddedMemoryBudget in src/storage. */
export const DEFAULT_ENGINE_MEMORY = '1GiB';
/** The write-ahead log's home with a ClickHouse server store (an embedded store keeps it in its own directory). */
export const DEFAULT_SERVER_WAL_DIR = '.warden/wal';
/** Under the WAL directory: rows the store refused as bad data. */
export const DEAD_LETTER_SUBDIR = 'dead-letter';

/**
 * The receiver's and batch writer's limits (`warden serve --batch-rows`, `--flush-interval`,
 * `--max-queue-rows`, `--max-body-bytes`): the one home of these numbers for the CLI, the
 * config, src/ingest and the README.
 */
export const DEFAULT_INGEST_LIMITS = {
  /** Insert as soon as this many spans wait (and no insert is running). */
  maxBatchRows: 10_000,
  /** Insert waiting spans at least this often. */
  flushIntervalMs: 1_000,
  /** Spans accepted but not yet written; past it the receiver answers 429/503. */
  maxQueueRows: 200_000,
  /** Largest decompressed request body: the OTLP specification's recommended 64 MiB. */
  maxBodyBytes: 64 * 1024 * 1024,
} as const;

/** `warden serve` flags as commander hands them over. */
export interface ServeFlags extends StoreFlags {
  listen?: string;
  apiToken?: string;
  apiTokenFile?: string;
  retentionDays?: string | number;
  alerts?: string;
  alertInterval?: string;
  batchRows?: string | number;
  flushInterval?: string;
  maxQueueRows?: string | number;
  maxBodyBytes?: string | number;
  engineMemory?: string;
  operators?: string;
  wal?: string;
}

export interface ServeConfig {
  host: string;
  port: number;
  /** Bearer token for the API and the receiver; required when `host` is not loopback. */
  apiToken: string | undefined;
  retentionDays: number;
  alertsFile: string | undefined;
  alertIntervalMs: number;
  store: StoreConfig;
  analyticsMaxExecutionSeconds: number;
  /** Memory budget of the embedded engine in bytes (ignored with a ClickHouse server). */
  engineMemoryBytes: number;
  ingest: { maxBatchRows: number; flushIntervalMs: number; maxQueueRows: number; maxBodyBytes: number };
  /** Operators who decide approvals: sha256 of their token → name (`--operators FILE`). */
  operatorsFile: string | undefined;
  /** The write-ahead log directory (accepted spans are durable here until written). */
  walDir: string;
  /** Rows the store refused as bad data (`warden ingest replay` reads it). */
  deadLetterDir: string;
}

/** Flags win over the environment. Throws WardenError CONFIG_INVALID with a sentence for the user. */
export function resolveServeConfig(flags: ServeFlags, env: WardenEnv): ServeConfig {
  const { host, port } = parseListen(flags.listen ?? DEFAULT_LISTEN);
  const apiToken = resolveSecret({ value: flags.apiToken, file: flags.apiTokenFile, env: env.WARDEN_API_TOKEN, flag: '--api-token', fileFlag: '--api-token-file' });
  if (!isLoopbackHost(host) && !apiToken) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `listening on ${host} (not loopback) requires an API token`, {
      hint: 'pass --api-token-file FILE (or set WARDEN_API_TOKEN); clients then send "Authorization: Bearer TOKEN"',
    });
  }
  const store = resolveStoreConfig(flags, env);
  const walDir = walDirectory(flags.wal, store);
  return {
    host,
    port,
    apiToken,
    retentionDays: retentionDays(flags.retentionDays ?? DEFAULT_RETENTION_DAYS),
    alertsFile: flags.alerts,
    operatorsFile: flags.operators,
    alertIntervalMs: parseDurationMs(flags.alertInterval ?? DEFAULT_ALERT_INTERVAL),
    store,
    walDir,
    deadLetterDir: join(walDir, DEAD_LETTER_SUBDIR),
    analyticsMaxExecutionSeconds: DEFAULT_ANALYTICS_MAX_EXECUTION_S,
    engineMemoryBytes: engineMemory(flags.engineMemory ?? env.WARDEN_ENGINE_MEMORY ?? DEFAULT_ENGINE_MEMORY),
    ingest: {
      maxBatchRows: positiveInt(flags.batchRows ?? DEFAULT_INGEST_LIMITS.maxBatchRows, '--batch-rows'),
      flushIntervalMs: flags.flushInterval === undefined ? DEFAULT_INGEST_LIMITS.flushIntervalMs : parseDurationMs(flags.flushInterval),
      maxQueueRows: positiveInt(flags.maxQueueRows ?? DEFAULT_INGEST_LIMITS.maxQueueRows, '--max-queue-rows'),
      maxBodyBytes: positiveInt(flags.maxBodyBytes ?? DEFAULT_INGEST_LIMITS.maxBodyBytes, '--max-body-bytes'),
    },
  };
}

/**
 * `--wal DIR`, else beside the data it protects: in the embedded store's directory, or
 * `.warden/wal` for a server store; one subdirectory per database, so two serves on one
 * store directory (tests, the demo) never share a log.
 */
export function walDirectory(flag: string | undefined, store: StoreConfig): string {
  if (flag !== undefined) return flag;
  return join(store.kind === 'embedded' ? join(store.path, 'warden-wal') : DEFAULT_SERVER_WAL_DIR, store.database);
}

/** "HOST:PORT", "[::1]:4318" or ":4318" (loopback). Port 0 picks a free port. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `--listen expects HOST:PORT (e.g. 127.0.0.1:4318), got "${text}"`);
  }
  const host = match[1] ?? (match[2] || '127.0.0.1');
  return { host, port };
}


/** chDB needs room for its own start-up and one insert; below 256 MiB it cannot work. */
const MIN_ENGINE_MEMORY = 256 * 1024 * 1024;

function engineMemory(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes < MIN_ENGINE_MEMORY) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `--engine-memory must be at least 256MiB, got "${text}"`, { hint: 'e.g. --engine-memory 2GiB (env WARDEN_ENGINE_MEMORY)' });
  }
  return bytes;
}

function retentionDays(value: string | number): number {
  const n = positiveInt(value, '--retention-days');
  const problem = retentionDaysProblem(n);
  if (problem) throw new WardenError(ErrorCodes.CONFIG_INVALID, `--retention-days: ${problem}`);
  return n;
}
