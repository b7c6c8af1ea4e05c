import { assertKnownAgent, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { detectBulkWriteBursts } from './bulk-write-burst.js';
import { detectDenyStorms } from './deny-storm.js';
import { detectErrorLoops } from './error-loop.js';
import { detectLifecycleViolations } from './lifecycle-violation.js';
import { detectNewTools } from './new-tool.js';
import { detectRateSpikes } from './rate-spike.js';
import { detectRepeatLoops } from './repeat-loop.js';
import { ANOMALY_TYPES, severityAtLeast, severityRank, type Anomaly, type AnomalyType, type DetectorScope, type Severity } from './types.js';

export * from './types.js';
export { spikeThreshold } from './rate-spike.js';
export { SQL_RULES, denyStormRule, lifecycleRule, lifecycleSessionsRule, severitySql, type RenderedRule, type RuleTarget, type SqlRuleType } from './sql-rules.js';
export { SEVERITY_RATIOS, severityByRatio } from './common.js';

type Detector = (ctx: AnalyticsContext, range: TimeRange, scope: DetectorScope) => Promise<Anomaly[]>;

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
  /** Sample span ids on each flag (default true). */
  samples?: boolean | undefined;
}

/** Runs the detectors one after another (one store connection runs one query at a time). */
export async function detectAnomalies(ctx: AnalyticsContext, range: TimeRange, query: AnomalyQuery = {}): Promise<Anomaly[]> {
  await assertKnownAgent(ctx, query.agent);
  const out: Anomaly[] = [];
  for (const type of query.types ?? ANOMALY_TYPES) {
    const found = await DETECTORS[type](ctx, range, { agent: query.agent, samples: query.samples });
    for (const a of found) {
      if (query.tool && a.tool !== query.tool) continue;
      if (query.minSeverity && !severityAtLeast(a.severity, query.minSeverity)) continue;
      out.push(a);
    }
  }
  return out.sort((a, b) => a.start.localeCompare(b.start) || a.type.localeCompare(b.type) || a.agent.localeCompare(b.agent));
}

/** Flags a list answer holds unless the caller asks for another `limit`. */
export const DEFAULT_ANOMALY_LIMIT = 100;
export const MAX_ANOMALY_LIMIT = 10_000;

export interface RankedAnomalies {
  anomalies: Anomaly[];
  /** Flags of each type found (before the cap). */
  counts: Record<AnomalyType, number>;
  total: number;
  /** True when `total` > the flags returned. */
  truncated: boolean;
}

/** Most severe first, then the furthest over its threshold, then the earliest. */
export function compareAnomalies(a: Anomaly, b: Anomaly): number {
  const ratio = (x: Anomaly) => (x.threshold > 0 ? x.observed / x.threshold : Infinity);
  return severityRank(b.severity) - severityRank(a.severity) || ratio(b) - ratio(a) || a.start.localeCompare(b.start) || a.id.localeCompare(b.id);
}

/** Ranks the flags and keeps the first `limit`, with per-type counts of everything found. */
export function rankAnomalies(found: readonly Anomaly[], limit = DEFAULT_ANOMALY_LIMIT): RankedAnomalies {
  const counts = Object.fromEntries(ANOMALY_TYPES.map((t) => [t, 0])) as Record<AnomalyType, number>;
  for (const a of found) counts[a.type] += 1;
  const anomalies = [...found].sort(compareAnomalies).slice(0, limit);
  return { anomalies, counts, total: found.length, truncated: found.length > anomalies.length };
}

/** The API's answer: every detector's flags, ranked and capped. */
export async function listAnomalies(ctx: AnalyticsContext, range: TimeRange, query: AnomalyQuery & { limit?: number | undefined } = {}): Promise<RankedAnomalies> {
  return rankAnomalies(await detectAnomalies(ctx, range, query), query.limit);
}
