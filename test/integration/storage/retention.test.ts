import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRetention, migrate } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';

const ttlDays = async (store: Awaited<ReturnType<typeof openTestStore>>) => {
  const rows = await store.query<{ name: string; engine_full: string }>(
    "SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND engine_full LIKE '%toIntervalDay%' ORDER BY name",
    { params: { db: store.database } },
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(/toIntervalDay\((\d+)\)/.exec(r.engine_full)?.[1])]));
};

test('migrations create tables with the retention asked for, and a later change is applied with MODIFY TTL', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    await migrate(store, { ttlDays: 30 });
    const before = await ttlDays(store);
    for (const table of ['otel_traces', 'otel_traces_trace_id_ts', 'tool_calls', 'tool_calls_1m']) assert.equal(before[table], 30, table);
    const changes = await applyRetention(store, 7);
    assert.ok(changes.some((c) => c.table === 'otel_traces' && c.fromDays === 30 && c.toDays === 7));
    const after = await ttlDays(store);
    for (const [table, days] of Object.entries(after)) assert.equal(days, 7, table);
    assert.deepEqual(await applyRetention(store, 7), [], 'nothing to change the second time');
  } finally {
    await store.close();
  }
});

test('a retention past ClickHouse\'s DateTime range is refused before any table is touched (it would expire every row at once)', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    await assert.rejects(migrate(store, { ttlDays: 36_500 }), /at most 10000/);
    assert.deepEqual(await ttlDays(store), {}, 'no table with a TTL was created');
    await migrate(store, { ttlDays: 30 });
    await assert.rejects(applyRetention(store, 36_500), /at most 10000/);
    assert.equal((await ttlDays(store)).tool_calls, 30, 'the retention in force is kept');
  } finally {
    await store.close();
  }
});
