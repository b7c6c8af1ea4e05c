import { IN_RANGE, runQuery, toolCallsFinal, type AnalyticsContext } from './context.js';
import { rangeParams, type TimeRange } from './range.js';

export interface AgentSummary {
  agent: string;
  calls: number;
  /** Refusals that were acted on (enforce mode). */
  denied: number;
  /** Refusals recorded in audit mode: what enforce would have refused. */
  would_deny: number;
  tools: number;
  first_seen: string;
  last_seen: string;
  /** Largest rolling 60 s count over all of the agent's tools (the limits' definition). */
  peak_per_minute: number;
}

export async function listAgents(ctx: AnalyticsContext, range: TimeRange): Promise<AgentSummary[]> {
  const rows = await runQuery<{
    agent: string; calls: number; denied: number; would_deny: number; tools: number; first_ms: number; last_ms: number; peak: number;
  }>(
    ctx,
    'agents',
    `SELECT agent, count() AS calls,
       countIf(decision != 'allow' AND enforced) AS denied,
       countIf(decision != 'allow' AND NOT enforced) AS would_deny,
       uniqExact(tool) AS tools,
       toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms,
       max(c) AS peak
     FROM (
       SELECT agent, tool, ts, decision, enforced,
         count() OVER (PARTITION BY agent ORDER BY toUnixTimestamp64Milli(ts) RANGE BETWEEN 59999 PRECEDING AND CURRENT ROW) AS c
       FROM ${toolCallsFinal(ctx)}
       WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - 60000) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
     ) WHERE ${IN_RANGE}
     GROUP BY agent ORDER BY calls DESC, agent`,
    rangeParams(range),
  );
  return rows.map((r) => ({
    agent: r.agent,
    calls: r.calls,
    denied: r.denied,
    would_deny: r.would_deny,
    tools: r.tools,
    first_seen: new Date(r.first_ms).toISOString(),
    last_seen: new Date(r.last_ms).toISOString(),
    peak_per_minute: r.peak,
  }));
}
