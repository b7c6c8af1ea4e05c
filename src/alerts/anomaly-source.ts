/** The analytics detectors as the alert loop's anomaly source. */
import { detectAnomalies } from '../analytics/index.js';
import type { AnalyticsContext } from '../analytics/index.js';
import type { AnomalySource } from './evaluate.js';

export function analyticsAnomalySource(ctx: AnalyticsContext): AnomalySource {
  return {
    anomalies: ({ fromMs, toMs, types }) => detectAnomalies(ctx, { fromMs, toMs }, { types }),
  };
}
