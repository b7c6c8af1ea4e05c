/**
 * The alert loop's part of `warden serve`: rules from --alerts (or the defaults), its own
 * store connection (a slow analytics request never delays an evaluation), the analytics
 * detectors for anomaly rules, and the GET /api/v1/alerts routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { AlertLoop, analyticsAnomalySource, defaultAlertConfig, loadAlertsFile, type AlertConfig } from '../alerts/index.js';
import { analyticsContext } from '../analytics/index.js';
import { alertsRoutes } from '../api/index.js';
import { referenceEnv, type ServeConfig } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { StoreDriver } from '../storage/index.js';
import { openStore } from './store.js';

/** Bounds each alert query; an evaluation must finish well inside the interval. */
const ALERT_QUERY_MAX_EXECUTION_S = 10;

/** Reads --alerts before anything else opens, so a bad file is refused up front. */
export function loadAlertConfig(file: string | undefined): AlertConfig {
  return file ? loadAlertsFile(file, referenceEnv()) : defaultAlertConfig();
}

export interface ServeAlerts {
  routes: FastifyPluginAsync;
  loop: AlertLoop;
  store: StoreDriver;
  start(): Promise<void>;
  /** Stops the loop (letting queued deliveries finish briefly) and closes its connection. */
  stop(): Promise<void>;
}

export async function openServeAlerts(opts: {
  config: ServeConfig;
  alertConfig: AlertConfig;
  logger: Logger;
  generatorUrl: () => string;
  /** Per-query limits for the loop's connection (the embedded engine's memory share). */
  querySettings?: Record<string, number>;
}): Promise<ServeAlerts> {
  const store = await openStore(opts.config.store, { ...opts.querySettings, max_execution_time: ALERT_QUERY_MAX_EXECUTION_S });
  const loop = new AlertLoop({
    store,
    config: opts.alertConfig,
    intervalMs: opts.config.alertIntervalMs,
    anomalies: analyticsAnomalySource(analyticsContext(store)),
    logger: opts.logger.child({ component: 'alerts' }),
    generatorUrl: opts.generatorUrl,
  });
  let stopped: Promise<void> | undefined;
  return {
    routes: alertsRoutes(loop),
    loop,
    store,
    start: async () => {
      await loop.start();
      opts.logger.info('alert loop started', { rules: opts.alertConfig.rules.length, targets: opts.alertConfig.targets.length, interval_ms: loop.intervalMs, source: opts.alertConfig.source });
    },
    stop: () => (stopped ??= loop.stop().finally(() => store.close())),
  };
}
