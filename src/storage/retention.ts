import { ErrorCodes, WardenError } from '../core/index.js';
import type { StoreDriver } from './driver.js';
import { qualified, retentionDaysProblem } from './schema.js';

/** `TTL <expr> + toIntervalDay(N)` as system.tables shows it in engine_full. */
const DAY_TTL = /\bTTL (.+?) \+ toIntervalDay\((\d+)\)/;

export interface RetentionChange {
  table: string;
  fromDays: number;
  toDays: number;
}

/**
 * Brings every day-based TTL in the store's database to `days`. Migrations create tables
 * with the retention given at first start; a later `--retention-days` is applied here with
 * ALTER TABLE … MODIFY TTL, for whichever tables (ours or later migrations') carry one.
 */
export async function applyRetention(driver: StoreDriver, days: number): Promise<RetentionChange[]> {
  const problem = retentionDaysProblem(days);
  if (problem) throw new WardenError(ErrorCodes.CONFIG_INVALID, problem);
  const tables = await driver.query<{ name: string; engine_full: string }>(
    'SELECT name, engine_full FROM system.tables WHERE database = {db:String} ORDER BY name',
    { params: { db: driver.database } },
  );
  const changes: RetentionChange[] = [];
  for (const { name, engine_full } of tables) {
    const ttl = DAY_TTL.exec(engine_full);
    if (!ttl || Number(ttl[2]) === days) continue;
    await driver.command(`ALTER TABLE ${qualified(driver.database, name)} MODIFY TTL ${ttl[1]} + toIntervalDay(${days})`);
    changes.push({ table: name, fromDays: Number(ttl[2]), toDays: days });
  }
  return changes;
}
