// A bench store as a running serve would hold it: migration 0009 has the background merges fold
// a day's calls into one part once no insert reached it for an hour. A bench loads its days in
// minutes and measures right after, before that hour has passed, so it folds them itself, with
// the OPTIMIZE … FINAL the merge amounts to. Without this the bench would measure a store no
// user keeps for long (2-3 parts a day after loading), and FINAL's merge of them with it.
import { Tables, qualified, type StoreDriver } from '../src/storage/index.js';

/** An hour with no insert (migration 0009's min_age_to_force_merge_seconds). */
const QUIET_MS = 3_600_000;

/** At `nowMs`, folds each tool_calls day that ended an hour or more before and has several parts; returns how many. */
export async function foldClosedDays(store: StoreDriver, nowMs: number): Promise<number> {
  const parts = await store.query<{ partition: string }>(
    `SELECT partition FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active
     GROUP BY partition HAVING count() > 1 AND toDateTime(toDate(partition), 'UTC') + toIntervalDay(1) <= fromUnixTimestamp64Milli({before:Int64}, 'UTC') ORDER BY partition`,
    { params: { db: store.database, t: Tables.TOOL_CALLS, before: Math.floor(nowMs - QUIET_MS) } },
  );
  for (const { partition } of parts) {
    await store.command(`OPTIMIZE TABLE ${qualified(store.database, Tables.TOOL_CALLS)} PARTITION {p:String} FINAL`, { params: { p: partition } });
  }
  return parts.length;
}
