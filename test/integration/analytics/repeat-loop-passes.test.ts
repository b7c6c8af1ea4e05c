// repeat_loop splits its ordered pass over disjoint sets of sessions when the candidate sessions
// hold many calls: the runs found must be exactly those of a single pass, none lost or doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsContext, DEFAULT_ANALYTICS_CONFIG } from '../../../src/analytics/index.js';
import { detectRepeatLoops } from '../../../src/analytics/anomalies/repeat-loop.js';
import { Tables, loadMigrations, migrate, qualified } from '../../../src/storage/index.js';
import { FIXED_DATE_RETENTION_DAYS } from '../../../examples/workload/writers.js';
import { openTestStore } from '../../helpers/store.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const COLUMNS = 'ts, trace_id, span_id, agent, session, upstream, tool, risk, decision, enforced, mode, rule, reason, policy_hash, args_hash, args_bytes, duration_ns, is_error, error_type, limit_counter, service';

test('repeat_loop over many passes finds exactly the runs one pass finds', async () => {
  const store = await openTestStore();
  try {
    const table = qualified(store.database, Tables.TOOL_CALLS);
    // 40,000 calls in 400 sessions; tools change every 3 calls and arguments cycle over 4 hashes,
    // so every session is a candidate and no background run reaches 5.
    await store.command(`INSERT INTO ${table} (${COLUMNS})
      SELECT fromUnixTimestamp64Milli(toInt64(${T0}) + toInt64(number * 10)), hex(number), hex(number), concat('agent-', toString(number % 8)),
        concat('s', toString(number % 400)), 'u', concat('tool_', toString(intDiv(number, 1200) % 5)), 'read', 'allow', true, 'audit', 'default', '', 'h',
        hex(SHA256(toString(intDiv(number, 400) % 4))), 10, 1000, false, '', '', 'warden-proxy'
      FROM numbers(40000)`);
    // Planted loops: 12 sessions, each with 6 + i identical calls in a row.
    for (let i = 0; i < 12; i++) {
      await store.command(`INSERT INTO ${table} (${COLUMNS})
        SELECT fromUnixTimestamp64Milli(toInt64(${T0 + 500_000 + i * 1000}) + toInt64(number)), 'loop', concat('loop-${i}-', toString(number)), 'agent-${i % 8}',
          'loop-session-${i}', 'u', 'task_list', 'read', 'allow', true, 'audit', 'default', '', 'h', 'same-args', 10, 1000, false, '', '', 'warden-proxy'
        FROM numbers(${6 + i})`);
    }
    const range = { fromMs: T0 - 60_000, toMs: T0 + 3_600_000 };
    const detect = (repeatPassCalls: number) => detectRepeatLoops(analyticsContext(store, {
      ...DEFAULT_ANALYTICS_CONFIG,
      anomalies: { ...DEFAULT_ANALYTICS_CONFIG.anomalies, repeatPassCalls },
    }), range);
    const onePass = await detect(1_000_000);
    const manyPasses = await detect(2_000); // ~20 passes over 40,000 candidate calls
    const key = (a: { session?: string; observed: number }) => `${a.session}:${a.observed}`;
    assert.deepEqual(onePass.map(key).sort(), Array.from({ length: 12 }, (_, i) => `loop-session-${i}:${6 + i}`).sort());
    assert.deepEqual(manyPasses.map(key).sort(), onePass.map(key).sort());
    assert.deepEqual(manyPasses.map((a) => a.sample_span_ids.length), onePass.map((a) => a.sample_span_ids.length));
  } finally {
    await store.close();
  }
});

test('calls written before migration 0010 get their call key: loops among them are found, calls without arguments never', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    const callKeyMigration = 10;
    await migrate(store, { ttlDays: FIXED_DATE_RETENTION_DAYS }, loadMigrations().filter((m) => m.version < callKeyMigration));
    const table = qualified(store.database, Tables.TOOL_CALLS);
    const run = (session: string, args: string, n: number, at: number) => store.command(`INSERT INTO ${table} (${COLUMNS})
      SELECT fromUnixTimestamp64Milli(toInt64(${at}) + toInt64(number)), '${session}', concat('${session}-', toString(number)), 'agent-1',
        '${session}', 'u', 'task_list', 'read', 'allow', true, 'audit', 'default', '', 'h', '${args}', 10, 1000, false, '', '', 'warden-proxy'
      FROM numbers(${n})`);
    await run('old-loop', 'same-args', 7, T0);
    await run('old-no-args', '', 9, T0 + 60_000);
    await migrate(store, { ttlDays: FIXED_DATE_RETENTION_DAYS });
    await run('new-loop', 'same-args', 6, T0 + 120_000);
    const range = { fromMs: T0 - 60_000, toMs: T0 + 3_600_000 };
    const found = async () => (await detectRepeatLoops(analyticsContext(store), range)).map((a) => `${a.session}:${a.observed}`).sort();
    // Whether or not the background mutation has rewritten the old part yet, the answer is the same.
    assert.deepEqual(await found(), ['new-loop:6', 'old-loop:7']);
    for (let i = 0; i < 200; i++) {
      const [pending] = await store.query<{ n: number }>('SELECT count() AS n FROM system.mutations WHERE database = {db:String} AND NOT is_done', { params: { db: store.database } });
      if (Number(pending?.n) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const parts = await store.query<{ stored: number; parts: number }>(
      `SELECT countIf(column = 'call_key') AS stored, uniqExact(name) AS parts FROM system.parts_columns
       WHERE database = {db:String} AND table = {t:String} AND active`, { params: { db: store.database, t: Tables.TOOL_CALLS } });
    assert.equal(parts[0]?.stored, parts[0]?.parts, 'every part stores the key once the mutation is done');
    assert.deepEqual(await found(), ['new-loop:6', 'old-loop:7']);
  } finally {
    await store.close();
  }
});
