import type { FastifyPluginAsync } from 'fastify';
import { analyticsConfig, analyticsContext } from '../analytics/index.js';
import { analyticsRoutes, approvalsRoutes, buildApp, policyRoutes, sessionRoutes, type WardenApp } from '../api/index.js';
import { ApprovalNotifier, ApprovalRegistry, ApprovalRepository } from '../approvals/index.js';
import { loadTokensFile, type ServeConfig } from '../config/index.js';
import { isLoopbackHost, silentLogger, systemClock, type Clock, type Logger } from '../core/index.js';
import { BatchWriter, DeadLetterDir, OtlpReceiver, WriteAheadLog, countLines } from '../ingest/index.js';
import { consoleRoutes } from '../console/index.js';
import { applyRetention, embeddedMemoryBudget, migrate, type StoreDriver } from '../storage/index.js';
import { openServeAlerts, loadAlertConfig } from './serve-alerts.js';
import { openStore } from './store.js';

export interface ServeOptions {
  config: ServeConfig;
  logger?: Logger;
  /** Extra route plugins (the demo, tests); analytics and alerts are wired below. */
  routes?: FastifyPluginAsync[];
  /** Wraps the batch writer's connection, e.g. to inject store faults around the real driver. */
  wrapIngestStore?: (store: StoreDriver) => StoreDriver;
  /** "Now" for the analytics API's relative ranges (default the system clock; tests pin it). */
  clock?: Clock;
}

export interface RunningServe {
  /** Where it listens, e.g. http://127.0.0.1:4318 (the real port when 0 was asked for). */
  url: string;
  app: WardenApp;
  /** The ingest connection (the batch writer's own). */
  ingestStore: StoreDriver;
  /** The query connection (readiness, analytics), with a max_execution_time budget. */
  queryStore: StoreDriver;
  /** The alert loop's connection. */
  alertsStore: StoreDriver;
  writer: BatchWriter;
  receiver: OtlpReceiver;
  /** The write-ahead log every accepted request is fsynced to before its 200. */
  wal: WriteAheadLog;
  approvals: ApprovalRegistry;
  /** Stops accepting, flushes the batch writer, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * `warden serve` as a function: open the store (creating an embedded one), migrate, give
 * ingest and queries their own connections, listen. The command, the demo and tests share it.
 */
export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const { config } = opts;
  const logger = opts.logger ?? silentLogger;
  const alertConfig = loadAlertConfig(config.alertsFile);
  const operators = config.operatorsFile ? loadTokensFile(config.operatorsFile, 'operators') : undefined;
  // The ingest connection opens first, so an embedded engine starts with the memory budget;
  // query connections get a per-query share of it (the alert loop, running on its own, less).
  const memory = embeddedMemoryBudget(config.engineMemoryBytes);
  const embedded = config.store.kind === 'embedded';
  const querySettings = embedded ? memory.query : {};
  const ingestStore = await openStore(config.store, undefined, memory.engine);
  const opened: StoreDriver[] = [ingestStore];
  try {
    const migrated = await migrate(ingestStore, { ttlDays: config.retentionDays });
    if (migrated.applied.length > 0) logger.info('migrations applied', { names: migrated.applied.map((m) => m.name) });
    for (const change of await applyRetention(ingestStore, config.retentionDays)) logger.info('retention changed', { ...change });

    // A second connection on the same store: a slow analytics query never holds up inserts.
    const queryStore = await openStore(config.store, { ...querySettings, max_execution_time: config.analyticsMaxExecutionSeconds });
    opened.push(queryStore);
    // ── INGEST: 200 means fsynced in the write-ahead log; what an earlier run left there is written first.
    const { wal, replay } = await WriteAheadLog.open(config.walDir, { logger });
    const writer = new BatchWriter(opts.wrapIngestStore?.(ingestStore) ?? ingestStore, {
      maxBatchRows: config.ingest.maxBatchRows,
      flushIntervalMs: config.ingest.flushIntervalMs,
      maxQueueRows: config.ingest.maxQueueRows,
      wal,
      deadLetters: new DeadLetterDir(config.deadLetterDir),
      logger,
    });
    let replayRows = 0;
    for (const segment of replay) {
      for (const payload of segment.payloads) writer.enqueueReplayed(payload, countLines(payload), segment.seq);
      replayRows += segment.rows;
    }
    if (replayRows > 0) logger.info('writing spans left in the write-ahead log by the last run', { rows: replayRows, segments: replay.length, wal: config.walDir });
    const receiver = new OtlpReceiver(writer, { maxBodyBytes: config.ingest.maxBodyBytes, wal });

    const routes: FastifyPluginAsync[] = [...(opts.routes ?? [])];
    // ── ANALYTICS: rates, anomalies, suggest and simulate on the query connection, under its budget.
    const analytics = analyticsContext(queryStore, analyticsConfig({ queryBudgetS: config.analyticsMaxExecutionSeconds }), opts.clock ?? systemClock);
    routes.push(analyticsRoutes(analytics), policyRoutes(analytics), sessionRoutes(analytics));
    // ── ALERTS: the loop on its own connection; started once listening, stopped first in close().
    let alertsBaseUrl = '';
    const alerts = await openServeAlerts({ config, alertConfig, logger, querySettings: embedded ? memory.background : {}, generatorUrl: () => `${alertsBaseUrl}/api/v1/alerts` });
    opened.push(alerts.store);
    routes.push(alerts.routes);
    // ── CONSOLE: the web pages at `/`, reading the API above like any other client.
    routes.push(consoleRoutes());
    const stopAlertLoop = (): Promise<void> => alerts.stop();
    // ── APPROVALS: held calls an operator decides; their own connection, so a slow analytics
    // query never delays a proxy that is waiting to register one.
    const approvalsStore = await openStore(config.store, querySettings);
    opened.push(approvalsStore);
    const notifier = new ApprovalNotifier({ targets: alertConfig.targets, logger, baseUrl: () => alertsBaseUrl });
    const approvals = new ApprovalRegistry({ repository: new ApprovalRepository(approvalsStore), clock: systemClock, logger, onCreated: (a) => notifier.notify(a) });
    await approvals.start();
    routes.push(approvalsRoutes(approvals));

    const app = buildApp({ config: { apiToken: config.apiToken, operators, maxBodyBytes: config.ingest.maxBodyBytes, loopbackOnly: isLoopbackHost(config.host) }, ingest: receiver, store: queryStore, routes, logger });
    await app.listen({ host: config.host, port: config.port });
    const url = listenUrl(app, config.host);
    alertsBaseUrl = url;
    await alerts.start();

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        await stopAlertLoop();
        approvals.close(); // wakes long-polls, so closing does not wait out a proxy's wait
        await app.close(); // stops accepting; waits for requests in flight
        await writer.close(); // what it could not write stays in the WAL for the next start
        await wal.close();
        await queryStore.close();
        await approvalsStore.close();
        await ingestStore.close();
      })();
      return closing;
    };
    return { url, app, ingestStore, queryStore, alertsStore: alerts.store, writer, receiver, wal, approvals, close };
  } catch (e) {
    for (const store of opened.reverse()) await store.close().catch(() => undefined);
    throw e;
  }
}

function listenUrl(app: WardenApp, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
