import { runQuery, toolCallsFinal, type AnalyticsContext } from '../context.js';

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
  const rows = await runQuery<{ idx: number; spans: string[]; calls: number }>(
    ctx,
    'anomaly samples',
    `SELECT idx, groupArray({samples:UInt32})(span_id) AS spans, count() AS calls FROM (
       SELECT span_id, arrayFirstIndex((a, t, f, e) -> a = agent AND t = tool AND toUnixTimestamp64Milli(ts) >= f AND toUnixTimestamp64Milli(ts) < e,
         {ea:Array(String)}, {et:Array(String)}, {ef:Array(Int64)}, {ee:Array(Int64)}) AS idx
       FROM ${toolCallsFinal(ctx)}
       WHERE ts >= fromUnixTimestamp64Milli({lo:Int64}) AND ts < fromUnixTimestamp64Milli({hi:Int64}) AND has({ea:Array(String)}, agent)
     ) WHERE idx > 0 GROUP BY idx`,
    {
      samples,
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
