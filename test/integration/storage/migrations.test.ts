import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isWardenError } from '../../../src/core/index.js';
import { loadMigrations, migrate, pendingMigrations, qualified, MIGRATIONS_DIR } from '../../../src/storage/index.js';
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
