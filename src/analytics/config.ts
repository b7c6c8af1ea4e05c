/**
 * Analytics thresholds and budgets. Every default is a named value with the reason for it,
 * and the whole object can be overridden (partially) by callers such as `warden serve`.
 */
import { WRITE_RISK_CLASSES } from '../policy/index.js';

export interface AnomalyThresholds {
  /** Risk classes whose bursts count as bulk writes. */
  burstRisks: string[];
  /** Rolling window for bursts, seconds (the same window a per-minute limit uses). */
  burstWindowS: number;
  /** Rolling count that is flagged whatever the baseline: PolicyLayer's write default is 30/min. */
  burstCeiling: number;
  /** A burst must also be this many times the agent+tool's own baseline peak… */
  burstFactor: number;
  /** …and at least this many calls (small bursts are normal conversation traffic). */
  burstMinCalls: number;
  /** Tools that mark a session's lifecycle: each at most once per MCP session. */
  lifecycleTools: string[];
  /** Bucket for rate_spike, seconds. */
  spikeBucketS: number;
  /** How much of the agent's own history forms the baseline, ms. */
  baselineLookbackMs: number;
  /** Robust z-score threshold (x − median) / (1.4826·MAD). */
  spikeZ: number;
  /** Below this baseline median (calls per active bucket) the Poisson tail test decides. */
  spikePoissonBelow: number;
  /** Poisson tail probability threshold P(X ≥ x | λ). */
  spikeP: number;
  /** A spike needs at least this many calls in its bucket and this factor over the median. */
  spikeMinCalls: number;
  spikeMinRatio: number;
  /** Baseline needs this many active buckets before any spike is judged. */
  spikeMinBuckets: number;
  /** Identical calls (tool + args hash) in a row within a session (gemini-cli halts at 5). */
  repeatRun: number;
  /** Candidate calls one repeat_loop pass orders (bounds its memory: ~1 M fit in 256 MiB with short ids). */
  repeatPassCalls: number;
  /** Failed calls of the same tool in a row within a session. */
  errorRun: number;
  /** Enforced refusals of one agent+tool within `denyWindowS` (retrying after denial). */
  denyStorm: number;
  denyWindowS: number;
  /** new_tool: the agent must have been seen this long before, so a new agent does not flag. */
  newToolMinHistoryMs: number;
  /** Sample span ids per flag. */
  samples: number;
}

export interface AnalyticsConfig {
  anomalies: AnomalyThresholds;
  /** Per-query time budget in seconds (ClickHouse max_execution_time). */
  queryBudgetS: number;
  /** Maximum rows a simulation replays (it runs in process memory, one chunk at a time). */
  simulateMaxCalls: number;
}

export const DEFAULT_ANOMALY_THRESHOLDS: AnomalyThresholds = {
  burstRisks: [...WRITE_RISK_CLASSES],
  burstWindowS: 60,
  burstCeiling: 120,
  burstFactor: 5,
  burstMinCalls: 30,
  lifecycleTools: ['session_start', 'session_close'],
  spikeBucketS: 600,
  baselineLookbackMs: 7 * 86_400_000,
  spikeZ: 6,
  spikePoissonBelow: 5,
  spikeP: 1e-6,
  spikeMinCalls: 20,
  spikeMinRatio: 3,
  spikeMinBuckets: 12,
  repeatRun: 5,
  repeatPassCalls: 750_000,
  errorRun: 5,
  denyStorm: 10,
  denyWindowS: 60,
  newToolMinHistoryMs: 86_400_000,
  samples: 5,
};

export const DEFAULT_ANALYTICS_CONFIG: AnalyticsConfig = {
  anomalies: DEFAULT_ANOMALY_THRESHOLDS,
  queryBudgetS: 20,
  simulateMaxCalls: 5_000_000,
};

export function analyticsConfig(over: { anomalies?: Partial<AnomalyThresholds>; queryBudgetS?: number; simulateMaxCalls?: number } = {}): AnalyticsConfig {
  return {
    anomalies: { ...DEFAULT_ANOMALY_THRESHOLDS, ...over.anomalies },
    queryBudgetS: over.queryBudgetS ?? DEFAULT_ANALYTICS_CONFIG.queryBudgetS,
    simulateMaxCalls: over.simulateMaxCalls ?? DEFAULT_ANALYTICS_CONFIG.simulateMaxCalls,
  };
}
