import { assertKnownAgent, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { detectBulkWriteBursts } from './bulk-write-burst.js';
import { detectDenyStorms } from './deny-storm.js';
import { detectErrorLoops } from './error-loop.js';
import { detectLifecycleViolations } from './lifecycle-violation.js';
import { detectNewTools } from './new-tool.js';
import { detectRateSpikes } from './rate-spike.js';
import { detectRepeatLoops } from './repeat-loop.js';
import { ANOMALY_TYPES, severityAtLeast, type Anomaly, type AnomalyType, type Severity } from './types.js';

export * from './types.js';
export { spikeThreshold } from './rate-spike.js';

type Detector = (ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined }) => Promise<Anomaly[]>;

export const DETECTORS: Record<AnomalyType, Detector> = {
  bulk_write_burst: detectBulkWriteBursts,
  lifecycle_violation: detectLifecycleViolations,
  rate_spike: detectRateSpikes,
  repeat_loop: detectRepeatLoops,
  error_loop: detectErrorLoops,
  new_tool: detectNewTools,
  deny_storm: detectDenyStorms,
};

export interface AnomalyQuery {
  types?: readonly AnomalyType[] | undefined;
  agent?: string | undefined;
  tool?: string | undefined;
  minSeverity?: Severity | undefined;
}

/** Runs the detectors one after another (one store connection runs one query at a time). */
export async function detectAnomalies(ctx: AnalyticsContext, range: TimeRange, query: AnomalyQuery = {}): Promise<Anomaly[]> {
  await assertKnownAgent(ctx, query.agent);
  const out: Anomaly[] = [];
  for (const type of query.types ?? ANOMALY_TYPES) {
    const found = await DETECTORS[type](ctx, range, { agent: query.agent });
    for (const a of found) {
      if (query.tool && a.tool !== query.tool) continue;
      if (query.minSeverity && !severityAtLeast(a.severity, query.minSeverity)) continue;
      out.push(a);
    }
  }
  return out.sort((a, b) => a.start.localeCompare(b.start) || a.type.localeCompare(b.type) || a.agent.localeCompare(b.agent));
}
