import type { Command } from 'commander';
import {
  DEFAULT_ALERT_INTERVAL, DEFAULT_INGEST_LIMITS, DEFAULT_LISTEN, DEFAULT_RETENTION_DAYS, readEnv, resolveServeConfig, type ServeFlags,
} from '../../config/index.js';
import { createLogger, formatDurationMs, type LogLevel } from '../../core/index.js';
import { addStoreOptions } from '../store.js';

export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description('OTLP receiver (POST /v1/traces) + API + alert loop, with /healthz /readyz /metrics /openapi.json')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .option('--api-token-file <file>', 'a file holding the bearer token for the API and the receiver; required off loopback (or env WARDEN_API_TOKEN)')
    .option('--api-token <token>', 'the token itself (visible in ps: prefer --api-token-file or WARDEN_API_TOKEN)')
    .option('--retention-days <n>', 'days of data to keep (TTL)', String(DEFAULT_RETENTION_DAYS))
    .option('--alerts <file>', 'alert rules and targets (YAML)')
    .option('--operators <file>', 'operators who decide approvals: {"operators": {"NAME": {"token_sha256": "…"}}}; their tokens authenticate too')
    .option('--alert-interval <duration>', 'how often alert rules are evaluated', DEFAULT_ALERT_INTERVAL)
    .option('--batch-rows <n>', 'insert as soon as this many spans wait (and no insert is running)', String(DEFAULT_INGEST_LIMITS.maxBatchRows))
    .option('--flush-interval <duration>', 'insert waiting spans at least this often', formatDurationMs(DEFAULT_INGEST_LIMITS.flushIntervalMs))
    .option('--max-queue-rows <n>', 'spans accepted but not yet written before the receiver answers 429/503', String(DEFAULT_INGEST_LIMITS.maxQueueRows))
    .option('--max-body-bytes <n>', 'largest OTLP request body, decompressed', String(DEFAULT_INGEST_LIMITS.maxBodyBytes))
    .option('--wal <dir>', 'write-ahead log directory: spans are answered 200 once fsynced here (default: in the store directory, or .warden/wal with --clickhouse-url)')
    .option('--engine-memory <size>', 'memory budget of the embedded store engine, e.g. 2GiB (env WARDEN_ENGINE_MEMORY; default 1GiB)');
  addStoreOptions(cmd).action(async (flags: ServeFlags) => {
    const env = readEnv();
    const config = resolveServeConfig(flags, env);
    const logger = createLogger({ level: (env.WARDEN_LOG_LEVEL as LogLevel | undefined) ?? 'info', json: env.WARDEN_LOG_FORMAT === 'json' });
    // Loaded on use, so the other commands (a proxy above all) never pay for fastify and chDB.
    const { startServe } = await import('../serve-runner.js');
    const running = await startServe({ config, logger });
    const where = config.store.kind === 'embedded' ? `embedded store ${config.store.path}` : `ClickHouse ${running.ingestStore.location}`;
    process.stdout.write(`warden serve listening on ${running.url} (${where}, database ${config.store.database}); console at ${running.url}/\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        logger.info('shutting down', { signal });
        void running.close().then(resolve, (e: unknown) => {
          logger.error('shutdown failed', { error: e instanceof Error ? e.message : String(e) });
          process.exitCode = 1;
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
