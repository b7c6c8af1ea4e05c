import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isWardenError } from '../../../src/core/index.js';
import { Tables, loadMigrations, migrate, pendingMigrations, qualified, MIGRATIONS_DIR } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';
import { tempDir } from '../../helpers/temp.js';

test('migrate applies every migration once and records checksums', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    const first = await migrate(store);
    assert.equal(first.applied.length, loadMigrations().length);
    const second = await migrate(store);
    assert.equal(second.applied.length, 0);
    const tables = await store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', {
      params: { db: store.database },
    });
    const names = tables.map((t) => t.name);
    for (const t of ['otel_traces', 'tool_calls', 'tool_calls_1m', 'tool_inventory', 'schema_migrations', 'tool_calls_mv']) {
      assert.ok(names.includes(t), `missing ${t} in ${names.join(',')}`);
    }
    const recorded = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(store.database, 'schema_migrations')}`);
    assert.equal(recorded[0]?.n, loadMigrations().length);
  } finally {
    await store.close();
  }
});

test('a closed day of calls is folded into one part by the background merges (no insert for an hour)', async () => {
  const store = await openTestStore();
  try {
    const [row] = await store.query<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {t:String}', {
      params: { db: store.database, t: Tables.TOOL_CALLS },
    });
    assert.match(row?.q ?? '', /min_age_to_force_merge_seconds = 3600/);
    assert.match(row?.q ?? '', /min_age_to_force_merge_on_partition_only = 1/);
  } finally {
    await store.close();
  }
});

test('an applied migration that was edited is refused with a clear error', async () => {
  const dir = tempDir('mig');
  for (const f of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
  const store = await openTestStore({ migrate: false });
  try {
    await migrate(store, {}, loadMigrations(dir));
    const first = readdirSync(dir).sort()[0] as string;
    writeFileSync(join(dir, first), '-- edited\n' + readdirSync(dir).join(','), { flag: 'a' });
    await assert.rejects(pendingMigrations(store, loadMigrations(dir)), (e: unknown) => {
      assert.ok(isWardenError(e, 'WARDEN_MIGRATION_CHECKSUM'));
      assert.match(e.message, /was edited after it was applied/);
      return true;
    });
  } finally {
    await store.close();
  }
});

test('upgrading a store fills the 10-minute rollup from the calls recorded before it', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    const all = loadMigrations();
    const rollup = all.find((m) => m.name.includes('tool_calls_10m'));
    assert.ok(rollup, 'the rollup migration');
    await migrate(store, {}, all.filter((m) => m.version < rollup.version));
    const base = Date.parse('2026-11-25T10:00:00Z');
    const span = (ms: number, id: string, tool: string) => ({
      Timestamp: `${ms}000000`, TraceId: 'c'.repeat(32), SpanId: id.padStart(16, '0'), SpanName: `tools/call ${tool}`, SpanKind: 'Server', ServiceName: 'warden-proxy',
      SpanAttributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool, 'gen_ai.agent.id': 'a1', 'warden.decision': 'allow' },
    });
    const before = [span(base, '1', 'x'), span(base + 1_000, '2', 'x'), span(base + 600_000, '3', 'x'), span(base, '4', 'y')];
    await store.insertJsonEachRow(Tables.OTEL_TRACES, before);
    await migrate(store);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [span(base + 2_000, '5', 'x')]); // after: through the view
    const rows = await store.query<{ tool: string; bucket: string; calls: number }>(
      `SELECT tool, toString(bucket) AS bucket, sum(calls) AS calls FROM ${qualified(store.database, Tables.TOOL_CALLS_10M)} GROUP BY tool, bucket ORDER BY tool, bucket`,
    );
    assert.deepEqual(rows.map((r) => [r.tool, r.bucket, Number(r.calls)]), [
      ['x', '2026-11-25 10:00:00', 3],
      ['x', '2026-11-25 10:10:00', 1],
      ['y', '2026-11-25 10:00:00', 1],
    ]);
  } finally {
    await store.close();
  }
});
