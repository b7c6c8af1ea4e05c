/**
 * What `suggest` learns from: per agent+tool usage over the range, with anomalous calls left
 * out (so a runaway agent does not teach the policy to allow it) and refusals that were
 * acted on left out (a call an enforced policy refused was not "used"; this keeps the
 * proposal within what is already allowed unless the traffic says otherwise).
 */
import { Tables } from '../../storage/index.js';
import type { Anomaly, AnomalyType } from '../anomalies/index.js';
import { runQuery, table, toolCallsFinal, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';

export interface Exclusion {
  agent: string;
  tool: string;
  /** '' = any session. */
  session: string;
  startMs: number;
  endMs: number;
  type: AnomalyType;
}

/** new_tool marks a change, not abuse: the tool is kept (and marked not yet stable). */
const EXCLUDED_TYPES: ReadonlySet<AnomalyType> = new Set(['bulk_write_burst', 'lifecycle_violation', 'rate_spike', 'repeat_loop', 'error_loop', 'deny_storm']);

/** Above this many intervals they are merged per agent+tool (ignoring sessions): each is checked per row. */
const MAX_EXCLUSIONS = 200;

export function exclusionsFrom(anomalies: readonly Anomaly[]): Exclusion[] {
  const raw = anomalies
    .filter((a) => EXCLUDED_TYPES.has(a.type))
    .map((a) => ({
      agent: a.agent, tool: a.tool, session: a.type === 'lifecycle_violation' ? (a.session ?? '') : '',
      startMs: Date.parse(a.start), endMs: Date.parse(a.end), type: a.type,
    }));
  const merged = mergeIntervals(raw, false);
  return merged.length > MAX_EXCLUSIONS ? mergeIntervals(raw, true) : merged;
}

function mergeIntervals(list: readonly Exclusion[], ignoreSession: boolean): Exclusion[] {
  const sorted = list
    .map((e) => (ignoreSession ? { ...e, session: '' } : e))
    .sort((a, b) => a.agent.localeCompare(b.agent) || a.tool.localeCompare(b.tool) || a.session.localeCompare(b.session) || a.startMs - b.startMs);
  const out: Exclusion[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last && last.agent === e.agent && last.tool === e.tool && last.session === e.session && e.startMs <= last.endMs) last.endMs = Math.max(last.endMs, e.endMs);
    else out.push({ ...e });
  }
  return out;
}

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

const EXCLUDED = `arrayExists((a, t, s, f, e) -> a = agent AND t = tool AND (s = '' OR s = session) AND toUnixTimestamp64Milli(ts) >= f AND toUnixTimestamp64Milli(ts) <= e,
  {xa:Array(String)}, {xt:Array(String)}, {xs:Array(String)}, {xf:Array(Int64)}, {xe:Array(Int64)})`;

export async function learnUsage(ctx: AnalyticsContext, range: TimeRange, windowS: number, exclusions: readonly Exclusion[]): Promise<ToolUsage[]> {
  const rows = await runQuery<{
    agent: string; tool: string; calls: number; excluded: number; days: number; first_ms: number; last_ms: number; risk: string; peak: number; p99: number; peak_ms: number;
  }>(
    ctx,
    'usage for the suggested policy',
    `SELECT agent, tool, countIf(NOT x) AS calls, countIf(x) AS excluded,
       uniqExactIf(toDate(ts), NOT x) AS days, toUnixTimestamp64Milli(minIf(ts, NOT x)) AS first_ms, toUnixTimestamp64Milli(maxIf(ts, NOT x)) AS last_ms,
       anyLast(risk) AS risk, maxIf(c, NOT x) AS peak, quantileExactIf(0.99)(c, NOT x) AS p99, argMaxIf(toUnixTimestamp64Milli(ts), c, NOT x) AS peak_ms
     FROM (
       SELECT agent, tool, ts, risk, x,
         if(x, 0, count() OVER (PARTITION BY agent, tool, x ORDER BY toUnixTimestamp64Milli(ts) RANGE BETWEEN {w_minus_1:UInt64} PRECEDING AND CURRENT ROW)) AS c
       FROM (
         SELECT agent, tool, ts, risk, ${EXCLUDED} AS x FROM ${toolCallsFinal(ctx)}
         WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
           AND (decision = 'allow' OR NOT enforced)
       )
     ) WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64})
     GROUP BY agent, tool ORDER BY tool, agent`,
    {
      from_ms: range.fromMs, to_ms: range.toMs, window_ms: windowS * 1000, w_minus_1: windowS * 1000 - 1,
      xa: exclusions.map((e) => e.agent), xt: exclusions.map((e) => e.tool), xs: exclusions.map((e) => e.session),
      xf: exclusions.map((e) => Math.floor(e.startMs)), xe: exclusions.map((e) => Math.ceil(e.endMs)),
    },
  );
  return rows.map((r) => ({
    agent: r.agent, tool: r.tool, calls: r.calls, excluded: r.excluded, daysSeen: r.days, firstMs: r.first_ms, lastMs: r.last_ms,
    risk: r.risk, peak: r.peak, p99: r.p99, peakMs: r.peak_ms,
  }));
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

/** The newest policy hash seen in the range (what the proxies were running). */
export async function newestPolicyHash(ctx: AnalyticsContext, range: TimeRange): Promise<string | undefined> {
  const rows = await runQuery<{ h: string }>(
    ctx,
    'current policy hash',
    `SELECT argMax(policy_hash, ts) AS h FROM ${toolCallsFinal(ctx)}
     WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND policy_hash != ''`,
    { from_ms: range.fromMs, to_ms: range.toMs },
  );
  const h = rows[0]?.h;
  return h ? h : undefined;
}
