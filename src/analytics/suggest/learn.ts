/**
 * What `suggest` learns from: per agent+tool usage over the range, with anomalous calls left
 * out (so a runaway agent does not teach the policy to allow it) and refusals that were
 * acted on left out (a call an enforced policy refused was not "used"; this keeps the
 * proposal within what is already allowed unless the traffic says otherwise).
 */
import { Tables } from '../../storage/index.js';
import { SERIES_KEY, runQuery, table, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { excludedCallsSql, type Exclusions } from './exclusions.js';

export interface ToolUsage {
  agent: string;
  tool: string;
  calls: number;
  excluded: number;
  daysSeen: number;
  firstMs: number;
  lastMs: number;
  risk: string;
  /** Largest rolling count in any `windowS` window, and its 99th percentile (rates.ts definition). */
  peak: number;
  p99: number;
  peakMs: number;
}

type UsageRow = {
  agent: string; tool: string; risk: string;
  calls: number; excluded: number; days: number; first_ms: number; last_ms: number; peak: number; p99: number; peak_ms: number;
};

/** Per agent+tool aggregates over the calls matching `cond` (`rolling`: each kept call's rolling count). */
function usageColumns(prefix: string, cond: string): string {
  const kept = `learnable AND NOT x AND ${cond}`;
  return `countIf(${kept}) AS ${prefix}calls, countIf(learnable AND x AND ${cond}) AS ${prefix}excluded, uniqExactIf(toDate(ts), ${kept}) AS ${prefix}days,
    toUnixTimestamp64Milli(minIf(ts, ${kept})) AS ${prefix}first_ms, toUnixTimestamp64Milli(maxIf(ts, ${kept})) AS ${prefix}last_ms,
    maxIf(rolling, ${kept}) AS ${prefix}peak, quantileExactIf(0.99)(rolling, ${kept}) AS ${prefix}p99, argMaxIf(t_ms, rolling, ${kept}) AS ${prefix}peak_ms`;
}

const LEARN_PREFIX = 'l_';

export interface LearnedUsage {
  /** Over the whole range. */
  usage: ToolUsage[];
  /** Agent+tool pairs with lifecycle_violation's extra calls in the range: its flags (with `lifecycle` exclusions). */
  lifecycleFlags: number;
  /** Over [from, splitMs) only, when a split was asked for (the forward test's learning part). */
  before?: ToolUsage[];
}

/**
 * One pass over the range: each kept call's rolling count in `windowS`, then per agent+tool
 * aggregates over the whole range and, with `splitMs`, over the part before it (a rolling
 * count only looks back, so the earlier part's peaks are exactly what learning on it alone sees).
 */
export async function learnUsage(ctx: AnalyticsContext, range: TimeRange, windowS: number, exclusions: Exclusions, splitMs?: number): Promise<LearnedUsage> {
  const split = splitMs !== undefined ? `, ${usageColumns(LEARN_PREFIX, 't_ms < {split_ms:Int64}')}` : '';
  const calls = excludedCallsSql(ctx, exclusions);
  const rows = await runQuery<UsageRow & Record<string, unknown>>(
    ctx,
    'usage for the suggested policy',
    `SELECT any(agent) AS agent, any(tool) AS tool, anyLast(risk) AS risk, countIf(life) > 0 AS lifecycle_flag, ${usageColumns('', '1')}${split}
     FROM (
       SELECT ${SERIES_KEY} AS s, agent, tool, ts, t_ms, risk, x, learnable, life,
         if(x OR NOT learnable, 0, count() OVER (PARTITION BY s, x OR NOT learnable ORDER BY t_ms RANGE BETWEEN {w_minus_1:UInt64} PRECEDING AND CURRENT ROW)) AS rolling
       FROM (${calls.sql})
     ) WHERE t_ms >= {from_ms:Int64}
     GROUP BY s ORDER BY tool, agent`,
    {
      from_ms: range.fromMs, to_ms: range.toMs, window_ms: windowS * 1000, w_minus_1: windowS * 1000 - 1,
      ...(splitMs !== undefined ? { split_ms: Math.floor(splitMs) } : {}), ...calls.params,
    },
  );
  // A pair whose calls in the range were all refused (read only to rank lifecycle sessions) was not used.
  const used = rows.filter((r) => Number(r.calls) + Number(r.excluded) > 0);
  const lifecycleFlags = rows.filter((r) => Number(r.lifecycle_flag) > 0).length;
  const usage = used.map((r) => toUsage(r, ''));
  return splitMs === undefined ? { usage, lifecycleFlags } : { usage, lifecycleFlags, before: used.map((r) => toUsage(r, LEARN_PREFIX)) };
}

function toUsage(r: Record<string, unknown>, p: string): ToolUsage {
  const n = (name: string) => Number(r[p + name] ?? 0);
  return {
    agent: String(r.agent), tool: String(r.tool), risk: String(r.risk),
    calls: n('calls'), excluded: n('excluded'), daysSeen: n('days'), firstMs: n('first_ms'), lastMs: n('last_ms'),
    peak: n('peak'), p99: n('p99'), peakMs: n('peak_ms'),
  };
}

export interface OfferedTool {
  upstream: string;
  tool: string;
  risk: string;
}

/** Every tool an upstream offers (tools/list spans), used or not. */
export async function offeredTools(ctx: AnalyticsContext): Promise<OfferedTool[]> {
  return runQuery<OfferedTool>(
    ctx,
    'tool inventory',
    `SELECT upstream, tool, anyLast(risk) AS risk FROM ${table(ctx, Tables.TOOL_INVENTORY)} WHERE tool != '' GROUP BY upstream, tool ORDER BY upstream, tool`,
    {},
  );
}

/**
 * The newest policy hash seen in the range (what the proxies were running). Without FINAL: the
 * copies of a redelivered span carry the same hash and time, so they cannot change the answer.
 */
export async function newestPolicyHash(ctx: AnalyticsContext, range: TimeRange): Promise<string | undefined> {
  const rows = await runQuery<{ h: string }>(
    ctx,
    'current policy hash',
    `SELECT argMax(policy_hash, ts) AS h FROM ${table(ctx, Tables.TOOL_CALLS)}
     WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND policy_hash != ''`,
    { from_ms: range.fromMs, to_ms: range.toMs },
  );
  const h = rows[0]?.h;
  return h ? h : undefined;
}
