import { compilePolicy, type PolicyDocument } from '../../policy/index.js';
import { detectAnomalies, type Anomaly } from '../anomalies/index.js';
import type { AnalyticsContext } from '../context.js';
import { isoRange, type TimeRange } from '../range.js';
import { compileCandidate, simulatePolicy, type SimulationResult } from '../simulate.js';
import { DEFAULT_SUGGEST_OPTIONS, buildSuggestedPolicy, type SuggestOptions, type SuggestedRule } from './build.js';
import { diffCounts, diffPolicies, type ChangeKind, type PolicyDiffEntry } from './diff.js';
import { exclusionsFrom, learnUsage, newestPolicyHash, offeredTools } from './learn.js';

export * from './build.js';
export * from './diff.js';
export * from './learn.js';

export interface SuggestRequest extends Partial<SuggestOptions> {
  /** The policy in force, to diff against; without it the baseline is "no policy" (allow all). */
  current?: unknown;
  /** Skip the replay (e.g. for a quick CLI preview). */
  backtest?: boolean;
}

export interface SuggestResult {
  range: { from: string; to: string };
  policy: PolicyDocument;
  rules: SuggestedRule[];
  diff: {
    against: 'request' | 'no_policy';
    /** The newest warden.policy.hash recorded in the range: the policy the proxies ran. */
    recorded_policy_hash: string | null;
    counts: Record<ChangeKind, number>;
    entries: PolicyDiffEntry[];
  };
  excluded: { anomalies: number; by_type: Record<string, number>; calls: number };
  backtest: SimulationResult | null;
}

export async function suggestPolicy(ctx: AnalyticsContext, range: TimeRange, req: SuggestRequest = {}): Promise<SuggestResult> {
  const opts: SuggestOptions = {
    headroom: req.headroom ?? DEFAULT_SUGGEST_OPTIONS.headroom,
    windowS: req.windowS ?? DEFAULT_SUGGEST_OPTIONS.windowS,
    rareCalls: req.rareCalls ?? DEFAULT_SUGGEST_OPTIONS.rareCalls,
    grantFactor: req.grantFactor ?? DEFAULT_SUGGEST_OPTIONS.grantFactor,
    stabilizationMs: req.stabilizationMs ?? DEFAULT_SUGGEST_OPTIONS.stabilizationMs,
  };
  // Validate the current policy before any heavy work.
  const current = req.current === undefined ? undefined : (compileCandidate(req.current).source as PolicyDocument);
  const anomalies = await detectAnomalies(ctx, range);
  const exclusions = exclusionsFrom(anomalies);
  const usage = await learnUsage(ctx, range, opts.windowS, exclusions);
  const offered = await offeredTools(ctx);
  const newTools = new Set(anomalies.filter((a) => a.type === 'new_tool').map((a) => a.tool));
  const { policy, rules } = buildSuggestedPolicy({ usage, offered, newTools, toMs: range.toMs }, opts);
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new Error(`internal: the suggested policy does not compile: ${JSON.stringify(compiled.error)}`);
  const entries = diffPolicies(current, policy);
  return {
    range: isoRange(range),
    policy,
    rules,
    diff: {
      against: current ? 'request' : 'no_policy',
      recorded_policy_hash: (await newestPolicyHash(ctx, range)) ?? null,
      counts: diffCounts(entries),
      entries,
    },
    excluded: excludedSummary(anomalies, usage.reduce((n, u) => n + u.excluded, 0)),
    backtest: req.backtest === false ? null : await simulatePolicy(ctx, policy, range),
  };
}

function excludedSummary(anomalies: readonly Anomaly[], calls: number): SuggestResult['excluded'] {
  const byType: Record<string, number> = {};
  for (const a of anomalies) byType[a.type] = (byType[a.type] ?? 0) + 1;
  return { anomalies: anomalies.length, by_type: byType, calls };
}
