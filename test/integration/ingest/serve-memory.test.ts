// `warden serve --engine-memory`: the embedded engine starts with the budget (server settings),
// and the analytics and alert connections carry one query's share, spilling before failing.
// serve is the first thing in this process to open the store, so its engine settings apply.
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ENGINE_MEMORY, resolveServeConfig } from '../../../src/config/index.js';
import { ErrorCodes, isWardenError } from '../../../src/core/index.js';
import type { StoreDriver } from '../../../src/storage/index.js';
import { startTestServe } from './serve-helpers.js';

const MIB = 1024 * 1024;

async function serverSetting(store: StoreDriver, name: string): Promise<string | undefined> {
  const [row] = await store.query<{ value: string }>('SELECT value FROM system.server_settings WHERE name = {name:String}', { params: { name } });
  return row?.value;
}

/** How many streams ClickHouse plans to read `sql` with (its threads). */
async function pipelineStreams(store: StoreDriver, sql: string): Promise<number> {
  const lines = await store.query<{ explain: string }>(`EXPLAIN PIPELINE ${sql} SETTINGS max_threads = 2`);
  const source = lines.map((l) => l.explain).find((l) => l.includes('NumbersRange'));
  return Number(/× (\d+)/.exec(source ?? '')?.[1] ?? (source ? 1 : 0));
}

async function sessionSetting(store: StoreDriver, name: string): Promise<string | undefined> {
  const [row] = await store.query<{ value: string }>('SELECT value FROM system.settings WHERE name = {name:String}', { params: { name } });
  return row?.value;
}

test('--engine-memory: default 1GiB, flag over env, sizes with units, refused below 256MiB', () => {
  assert.equal(DEFAULT_ENGINE_MEMORY, '1GiB');
  assert.equal(resolveServeConfig({}, {}).engineMemoryBytes, 1024 * MIB);
  assert.equal(resolveServeConfig({}, { WARDEN_ENGINE_MEMORY: '3GiB' }).engineMemoryBytes, 3 * 1024 * MIB);
  assert.equal(resolveServeConfig({ engineMemory: '512MiB' }, { WARDEN_ENGINE_MEMORY: '3GiB' }).engineMemoryBytes, 512 * MIB);
  assert.throws(() => resolveServeConfig({ engineMemory: '100MiB' }, {}), (e: unknown) => isWardenError(e, ErrorCodes.CONFIG_INVALID) && /at least 256MiB/.test(e.message));
  assert.throws(() => resolveServeConfig({ engineMemory: 'lots' }, {}), (e: unknown) => isWardenError(e, ErrorCodes.CONFIG_INVALID));
});

test('serve starts the embedded engine inside the budget and bounds each analytics and alert query', async () => {
  const serve = await startTestServe({ engineMemory: '512MiB' });
  try {
    const engine = serve.queryStore;
    assert.equal(await serverSetting(engine, 'max_server_memory_usage'), String(512 * MIB));
    assert.equal(await serverSetting(engine, 'merges_mutations_memory_usage_soft_limit'), String(256 * MIB));
    assert.equal(Number(await serverSetting(engine, 'memory_worker_purge_dirty_pages_threshold_ratio')), 0.05);
    for (const cache of ['mark_cache_size', 'index_mark_cache_size', 'primary_index_cache_size']) {
      assert.equal(await serverSetting(engine, cache), String(32 * MIB), cache);
    }
    // An API query may use half the budget, an alert-loop query a quarter; both spill at half their share.
    for (const [store, share] of [[serve.queryStore, 256 * MIB], [serve.alertsStore, 128 * MIB]] as const) {
      assert.equal(await sessionSetting(store, 'max_memory_usage'), String(share));
      assert.equal(await sessionSetting(store, 'max_bytes_before_external_sort'), String(share / 2));
      assert.equal(await sessionSetting(store, 'max_bytes_before_external_group_by'), String(share / 2));
    }
    // Each uses every core (up to 2 here): ClickHouse's default would run every query on one
    // thread under a budget this small (it wants 1 GiB free per thread).
    const cores = Math.min(2, availableParallelism());
    for (const store of [serve.queryStore, serve.alertsStore]) {
      assert.equal(await pipelineStreams(store, 'SELECT count() FROM numbers_mt(10000000)'), cores);
    }
    // The ingest connection is not capped per query: an insert may use the whole budget.
    assert.equal(await sessionSetting(serve.ingestStore, 'max_memory_usage'), '0');

    // A sort bigger than one query's share spills to disk and completes…
    const [sorted] = await serve.alertsStore.query<{ n: string }>('SELECT count() AS n FROM (SELECT number FROM numbers(12000000) ORDER BY cityHash64(number))');
    assert.equal(Number(sorted?.n), 12_000_000);
    // …while what cannot spill fails that query, not the process.
    await assert.rejects(
      serve.alertsStore.query('SELECT length(groupArray(number)) AS n FROM numbers(40000000)'),
      (e: unknown) => isWardenError(e, ErrorCodes.STORE_QUERY) && /MEMORY_LIMIT_EXCEEDED|memory limit/i.test(e.message),
    );
  } finally {
    await serve.close();
  }
});
