import { compilePolicy, type PolicyDocument } from '../../policy/index.js';
import { ANOMALY_TYPES, detectAnomalies, type Anomaly } from '../anomalies/index.js';
import type { AnalyticsContext } from '../context.js';
import { isoRange, type TimeRange } from '../range.js';
import { SimulationLane, compileCandidate, replayLanes, replayPolicy, type ReplayLane, type SimulationResult } from '../simulate.js';
import { DEFAULT_SUGGEST_OPTIONS, buildSuggestedPolicy, type SuggestOptions, type SuggestedRule } from './build.js';
import { diffCounts, diffPolicies, type ChangeKind, type PolicyDiffEntry } from './diff.js';
import { ExclusionIndex, exclusionsForLearning, lifecycleSessionsSince, withLifecycleFlags, type Exclusions } from './exclusions.js';
import { ForwardLane, type ForwardTest } from './forward.js';
import { holdoutSplit } from './holdout.js';
import { learnUsage, newestPolicyHash, offeredTools, type ToolUsage } from './learn.js';

export * from './build.js';
export * from './diff.js';
export * from './exclusions.js';
export * from './forward.js';
export * from './holdout.js';
export * from './learn.js';

export interface SuggestRequest extends Partial<SuggestOptions> {
  /** The policy in force, to diff against; without it the baseline is "no policy" (allow all). */
  current?: unknown;
  /** Skip both replays, the backtest and the forward test (e.g. for the bare policy file). */
  backtest?: boolean;
  /** The later part of the range the forward test replays: see holdout.ts (default the last 20 %, ≥ 1 day when the range allows). */
  holdout?: string | number | undefined;
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
  /** In-sample: the returned policy replayed over the range it learned from. */
  backtest: SimulationResult | null;
  /** Out-of-sample: the same procedure learned on the earlier part, replayed over the later part. */
  forward_test: ForwardTest | null;
}

function optionsOf(req: SuggestRequest): SuggestOptions {
  return {
    headroom: req.headroom ?? DEFAULT_SUGGEST_OPTIONS.headroom,
    windowS: req.windowS ?? DEFAULT_SUGGEST_OPTIONS.windowS,
    rareCalls: req.rareCalls ?? DEFAULT_SUGGEST_OPTIONS.rareCalls,
    grantFactor: req.grantFactor ?? DEFAULT_SUGGEST_OPTIONS.grantFactor,
    stabilizationMs: req.stabilizationMs ?? DEFAULT_SUGGEST_OPTIONS.stabilizationMs,
    approveMinDays: req.approveMinDays ?? DEFAULT_SUGGEST_OPTIONS.approveMinDays,
  };
}

/**
 * The returned policy learns on the whole range (the newest traffic matters most for
 * tomorrow); the forward test judges the procedure that produced it on traffic it did not
 * see: learned on [from, split), replayed on [split, to). Both come from one pass over the
 * usage and, with the backtest, one read of the recorded calls.
 */
export async function suggestPolicy(ctx: AnalyticsContext, range: TimeRange, req: SuggestRequest = {}): Promise<SuggestResult> {
  const opts = optionsOf(req);
  // Validate the inputs before any heavy work.
  const current = req.current === undefined ? undefined : (compileCandidate(req.current).source as PolicyDocument);
  const replays = req.backtest !== false;
  const splitMs = holdoutSplit(range, req.holdout);
  const forwardSplit = replays ? splitMs : undefined;
  // lifecycle_violation's flags come from the learning pass, which reads those calls anyway.
  const anomalies = await detectAnomalies(ctx, range, { types: ANOMALY_TYPES.filter((t) => t !== 'lifecycle_violation'), samples: false });
  const forLearning = exclusionsForLearning(anomalies);
  const learned = await learnUsage(ctx, range, opts.windowS, forLearning, forwardSplit);
  const exclusions = withLifecycleFlags(forLearning, learned.lifecycleFlags);
  const offered = await offeredTools(ctx);
  const build = (usage: readonly ToolUsage[], toMs: number) =>
    buildSuggestedPolicy({ usage, offered, newTools: newToolsBefore(anomalies, toMs), toMs }, opts);
  const { policy, rules } = build(learned.usage, range.toMs);
  assertCompiles(policy);
  const entries = diffPolicies(current, policy);
  const { backtest, forward } = await replay(ctx, range, policy, replays, forwardSplit, learned.before && build(learned.before, forwardSplit ?? range.toMs).policy, exclusions);
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
    excluded: { anomalies: exclusions.flags, by_type: exclusions.byType, calls: learned.usage.reduce((n, u) => n + u.excluded, 0) },
    backtest,
    forward_test: forward,
  };
}

async function replay(
  ctx: AnalyticsContext, range: TimeRange, policy: PolicyDocument, backtest: boolean,
  splitMs: number | undefined, forwardPolicy: PolicyDocument | undefined, exclusions: Exclusions,
): Promise<{ backtest: SimulationResult | null; forward: ForwardTest | null }> {
  const lanes: ReplayLane[] = [];
  const back = backtest ? new SimulationLane(replayPolicy(policy), range) : undefined;
  if (back) lanes.push(back);
  let fwd: ForwardLane | undefined;
  if (splitMs !== undefined && forwardPolicy) {
    assertCompiles(forwardPolicy);
    fwd = new ForwardLane(replayPolicy(forwardPolicy), forwardPolicy, { fromMs: range.fromMs, toMs: splitMs }, { fromMs: splitMs, toMs: range.toMs }, new ExclusionIndex(exclusions, await lifecycleSessionsSince(ctx, range, exclusions, splitMs)));
    lanes.push(fwd);
  }
  if (lanes.length > 0) await replayLanes(ctx, back ? range : { fromMs: splitMs ?? range.fromMs, toMs: range.toMs }, lanes);
  return { backtest: back ? await back.result(ctx) : null, forward: fwd ? await fwd.result(ctx) : null };
}

/** Tools an anomaly flagged as new for some agent before `toMs`: never "stable". */
function newToolsBefore(anomalies: readonly Anomaly[], toMs: number): Set<string> {
  return new Set(anomalies.filter((a) => a.type === 'new_tool' && Date.parse(a.start) < toMs).map((a) => a.tool));
}

function assertCompiles(policy: PolicyDocument): void {
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new Error(`internal: the suggested policy does not compile: ${JSON.stringify(compiled.error)}`);
}
