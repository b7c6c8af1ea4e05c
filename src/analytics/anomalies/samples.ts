import { Tables } from '../../storage/index.js';
import { boundTuples, callsOnce, runQuery, table, type AnalyticsContext } from '../context.js';

export interface EpisodeRef {
  agent: string;
  tool: string;
  startMs: number;
  endMs: number;
}

/** Sample span ids and call counts for many (agent, tool, [start, end)) episodes in one scan. */
export async function sampleEpisodes(ctx: AnalyticsContext, episodes: readonly EpisodeRef[], samples: number): Promise<Array<{ spans: string[]; calls: number }>> {
  const out = episodes.map(() => ({ spans: [] as string[], calls: 0 }));
  if (episodes.length === 0) return out;
  // Episodes of one agent+tool never overlap (mergeEpisodes), so an ASOF JOIN on (agent, tool)
  // and the latest start at or before a call finds its only candidate: one hash lookup per
  // call, not a scan of every episode (calls × episodes).
  const rows = await runQuery<{ idx: number; spans: string[]; calls: number }>(
    ctx,
    'anomaly samples',
    `SELECT e.idx AS idx, groupArray({samples:UInt32})(c.span_id) AS spans, count() AS calls
     FROM (
       SELECT agent, tool, toUnixTimestamp64Milli(ts) AS t, span_id FROM ${callsOnce(table(ctx, Tables.TOOL_CALLS), [], [
         'ts >= fromUnixTimestamp64Milli({lo:Int64}) AND ts < fromUnixTimestamp64Milli({hi:Int64})',
         `(agent, tool) IN ${boundTuples([['ea', 'String'], ['et', 'String']])}`])}
     ) AS c
     ASOF JOIN (
       SELECT tupleElement(k, 1) AS agent, tupleElement(k, 2) AS tool, tupleElement(k, 3) AS f, tupleElement(k, 4) AS e, tupleElement(k, 5) AS idx
       FROM (SELECT arrayJoin(arrayZip({ea:Array(String)}, {et:Array(String)}, {ef:Array(Int64)}, {ee:Array(Int64)}, range(1, {n:UInt32} + 1))) AS k)
     ) AS e ON c.agent = e.agent AND c.tool = e.tool AND c.t >= e.f
     WHERE c.t < e.e GROUP BY idx`,
    {
      samples,
      n: episodes.length,
      ea: episodes.map((e) => e.agent),
      et: episodes.map((e) => e.tool),
      ef: episodes.map((e) => Math.floor(e.startMs)),
      ee: episodes.map((e) => Math.ceil(e.endMs)),
      lo: Math.min(...episodes.map((e) => e.startMs)),
      hi: Math.max(...episodes.map((e) => e.endMs)),
    },
  );
  for (const r of rows) {
    const slot = out[r.idx - 1];
    if (slot) Object.assign(slot, { spans: r.spans, calls: r.calls });
  }
  return out;
}
