/**
 * repeat_loop: the same tool with the same arguments hash N or more times in a row within one
 * session (the whole agent stream when there is no session id). Sessions are pre-selected by a
 * hashed (agent, session) key, so the ordered pass runs only where a repeat is possible. Arguments that were not
 * recorded (empty hash) are never compared: name-only keys would flag legitimate exploration.
 *
 * The ordered pass holds a whole session in memory, so the candidate sessions are ordered in
 * passes of at most `repeatPassCalls` calls each: a pass stays within a query's memory share
 * however many calls the range holds, as long as no single session is that large.
 */
import { Tables, ToolCallsColumns } from '../../storage/index.js';
import { AGENT_FILTER, IN_RANGE, runQuery, table, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { finishAnomaly, severityByRatio } from './common.js';
import type { Anomaly } from './types.js';

interface LoopRow { agent: string; session: string; tool: string; n: number; first_ms: number; last_ms: number; spans: string[] }

export async function detectRepeatLoops(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const params = { ...rangeParams(range), agent: scope.agent ?? '', run: t.repeatRun, samples: t.samples };
  const rows: LoopRow[] = [];
  for (const keys of passes(await candidateSessions(ctx, params), t.repeatPassCalls)) rows.push(...(await loopsIn(ctx, { ...params, keys })));
  rows.sort((a, b) => a.agent.localeCompare(b.agent) || a.first_ms - b.first_ms);
  return rows.map((r) =>
    finishAnomaly({
      type: 'repeat_loop', severity: severityByRatio(r.n, t.repeatRun), agent: r.agent, tool: r.tool,
      ...(r.session ? { session: r.session } : {}),
      startMs: r.first_ms, endMs: r.last_ms + 1, observed: r.n, baseline: 1, threshold: t.repeatRun, calls: r.n,
      method: `identical (tool, args hash) calls in a row per session ≥ ${t.repeatRun}`,
      explanation: `${r.agent} called ${r.tool} with identical arguments ${r.n} times in a row${r.session ? ` in session ${r.session}` : ''}`,
      sample_span_ids: r.spans,
    }),
  );
}

/**
 * A 32-bit (agent, session) key: exact as a JavaScript number. Two sessions sharing a key are
 * only ordered together; a key never splits a session.
 */
const SESSION_KEY = 'toUInt32(cityHash64(agent, session) % 4294967296)';

/**
 * One (agent, session, tool, arguments) key, stored with each call (migration 0010), and the
 * 2^22 sketch buckets it falls into: with ~2.3 M keys a week, 2^20 buckets let ~8 % of them
 * reach N by sharing (Poisson, mean 2.2) and the second pass grouped those calls; 2^22 leaves
 * a fraction of a percent (0.32 -> 0.23 s on a busy week).
 */
const CALL_KEY = ToolCallsColumns.CALL_KEY;
const SKETCH_BUCKETS = 4_194_304;
/** A key of 0 is a call without recorded arguments (a real key is 0 with probability 2^-64). */
const CANDIDATE_CALLS = `${IN_RANGE} AND ${CALL_KEY} != 0 AND ${AGENT_FILTER}`;

/**
 * Sessions where some (tool, arguments) pair occurs at least N times, with their call counts.
 * Nearly every call of a busy store is its own key, so a GROUP BY over the keys held 2.3 M
 * entries (~390 MiB, spilled to disk) for a week: the keys are first counted into sketch
 * buckets, and only the calls of buckets reaching N (a key seen N times puts its bucket
 * there) are grouped by key. Read without FINAL: a redelivered span can only add a session to
 * the candidates (the ordered pass counts each span once).
 */
async function candidateSessions(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<Array<{ k: number; calls: number }>> {
  const calls = table(ctx, Tables.TOOL_CALLS);
  const found = await runQuery<{ k: number }>(ctx, 'repeat_loop candidates',
    `SELECT DISTINCT k FROM (
       SELECT any(${SESSION_KEY}) AS k FROM ${calls}
       WHERE ${CANDIDATE_CALLS} AND ${CALL_KEY} % ${SKETCH_BUCKETS} IN (
         SELECT ${CALL_KEY} % ${SKETCH_BUCKETS} AS b FROM ${calls} WHERE ${CANDIDATE_CALLS} GROUP BY b HAVING count() >= {run:UInt32})
       GROUP BY ${CALL_KEY} HAVING count() >= {run:UInt32})`, params);
  if (found.length === 0) return [];
  return runQuery(ctx, 'repeat_loop candidate sizes',
    `SELECT ${SESSION_KEY} AS k, count() AS calls FROM ${calls}
     WHERE ${IN_RANGE} AND ${AGENT_FILTER} AND ${SESSION_KEY} IN {found:Array(UInt32)}
     GROUP BY k`, { ...params, found: found.map((r) => Number(r.k)) });
}

/** Session keys in groups of at most `maxCalls` calls (a larger session gets a group of its own). */
function passes(candidates: ReadonlyArray<{ k: number; calls: number }>, maxCalls: number): number[][] {
  const groups: number[][] = [];
  let calls = Infinity;
  for (const c of candidates) {
    if (calls + Number(c.calls) > maxCalls) {
      groups.push([]);
      calls = 0;
    }
    groups[groups.length - 1]?.push(Number(c.k));
    calls += Number(c.calls);
  }
  return groups;
}

/** The runs in the given sessions, found in one ordered pass over them. */
function loopsIn(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<LoopRow[]> {
  return runQuery<LoopRow>(
    ctx,
    'repeat_loop detection',
    `SELECT agent, session, tool, count() AS n, toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms,
       groupArray({samples:UInt32})(span_id) AS spans
     FROM (
       SELECT agent, session, tool, args_hash, ts, span_id,
         sum(changed) OVER (PARTITION BY agent, session ORDER BY ts, span_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
       FROM (
         SELECT agent, session, tool, args_hash, ts, span_id,
           (tool, args_hash) != lagInFrame((tool, args_hash), 1, ('', '')) OVER (PARTITION BY agent, session ORDER BY ts, span_id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS changed
         FROM (
           SELECT agent, session, tool, args_hash, ts, span_id FROM ${table(ctx, Tables.TOOL_CALLS)}
           WHERE ${IN_RANGE} AND ${AGENT_FILTER} AND ${SESSION_KEY} IN {keys:Array(UInt32)}
           LIMIT 1 BY span_id
         )
       )
     )
     WHERE args_hash != ''
     GROUP BY agent, session, tool, args_hash, run HAVING n >= {run:UInt32}`,
    params,
  );
}
