/**
 * deny_storm: an agent keeps calling a tool that is being refused (enforced deny,
 * rate_limited, invalid_arguments, approval_required): N or more refusals within a rolling
 * window. Audit-mode refusals are not counted: the agent never saw them, so it is not retrying.
 */
import { runQuery, toolCallsFinal, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { finishAnomaly, mergeEpisodes, seriesKey, severityByRatio, splitKey, type Flagged } from './common.js';
import type { Anomaly } from './types.js';

export async function detectDenyStorms(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const windowMs = t.denyWindowS * 1000;
  const rows = await runQuery<{ agent: string; tool: string; peak: number; first_ms: number; last_ms: number; n: number; spans: string[]; decisions: string[] }>(
    ctx,
    'deny_storm detection',
    `SELECT agent, tool, intDiv(toUnixTimestamp64Milli(ts), {window_ms:Int64}) AS bucket, max(c) AS peak,
       toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms, count() AS n,
       groupArray({samples:UInt32})(span_id) AS spans, groupUniqArray(decision) AS decisions
     FROM (
       SELECT agent, tool, ts, span_id, decision,
         count() OVER (PARTITION BY agent, tool ORDER BY toUnixTimestamp64Milli(ts) RANGE BETWEEN {w_minus_1:UInt64} PRECEDING AND CURRENT ROW) AS c
       FROM ${toolCallsFinal(ctx)}
       WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
         AND decision != 'allow' AND enforced AND ({agent:String} = '' OR agent = {agent:String})
     )
     WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND c >= {min_c:UInt32}
     GROUP BY agent, tool, bucket ORDER BY agent, tool, bucket`,
    { from_ms: range.fromMs, to_ms: range.toMs, window_ms: windowMs, w_minus_1: windowMs - 1, min_c: t.denyStorm, agent: scope.agent ?? '', samples: t.samples },
  );
  const perSeries = new Map<string, Flagged[]>();
  const decisions = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = seriesKey(r.agent, r.tool);
    const list = perSeries.get(key) ?? [];
    list.push({ startMs: r.first_ms, endMs: r.last_ms + 1, value: r.peak, threshold: t.denyStorm, baseline: 0, method: '', calls: r.n, samples: r.spans });
    perSeries.set(key, list);
    const set = decisions.get(key) ?? new Set<string>();
    for (const d of r.decisions) set.add(d);
    decisions.set(key, set);
  }
  const out: Anomaly[] = [];
  for (const [key, flagged] of perSeries) {
    const [agent, tool] = splitKey(key);
    const kinds = [...(decisions.get(key) ?? [])].sort().join('/');
    for (const e of mergeEpisodes(flagged, windowMs, t.samples)) {
      out.push(finishAnomaly({
        type: 'deny_storm', severity: severityByRatio(e.value, t.denyStorm), agent, tool,
        startMs: e.startMs, endMs: e.endMs, observed: e.value, baseline: 0, threshold: t.denyStorm, calls: e.calls,
        method: `enforced refusals of one agent+tool in a rolling ${t.denyWindowS}s window ≥ ${t.denyStorm}`,
        explanation: `${agent} kept calling ${tool} after being refused (${kinds}): ${e.value} refusals within ${t.denyWindowS}s`,
        sample_span_ids: e.samples,
      }));
    }
  }
  return out;
}
