// The StoreDriver contract, run against every driver: chDB (always), the server driver's
// code over chDB's @clickhouse/client connection (always), and a real ClickHouse server
// (23.8 or newer) when CLICKHOUSE_URL is set; without it the runner's output says the server
// contract was not run and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChdbConnection } from 'chdb/connection';
import { isWardenError } from '../../../src/core/index.js';
import { ChdbDriver, ServerDriver, migrate, qualified, quoteIdent, type ServerDriverOptions, type StoreDriver } from '../../../src/storage/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';

type Open = (database: string, settings?: Record<string, number>) => Promise<StoreDriver>;

function contract(name: string, open: Open): void {
  const withDriver = async (fn: (d: StoreDriver) => Promise<void>, settings?: Record<string, number>) => {
    const driver = await open(uniqueDatabase('contract'), settings);
    try {
      await fn(driver);
    } finally {
      await driver.command(`DROP DATABASE IF EXISTS ${quoteIdent(driver.database)}`).catch(() => undefined);
      await driver.close();
    }
  };

  test(`${name}: parameters are bound, never spliced`, () => withDriver(async (d) => {
    const evil = "a'; DROP TABLE x; --";
    const rows = await d.query<{ s: string; n: number; a: string[] }>('SELECT {s:String} AS s, {n:UInt64} AS n, {a:Array(String)} AS a', {
      params: { s: evil, n: 9007199254740991, a: ['x', 'y'] },
    });
    assert.deepEqual(rows, [{ s: evil, n: 9007199254740991, a: ['x', 'y'] }]);
  }));

  test(`${name}: inserts take objects, NDJSON text and Buffers; reads give numbers and ISO times`, () => withDriver(async (d) => {
    await d.command(`CREATE TABLE ${qualified(d.database, 'kv')} (k String, v UInt64, t DateTime64(9)) ENGINE = MergeTree ORDER BY k`);
    await d.insertJsonEachRow('kv', [{ k: 'a', v: 1, t: '1795639433609000123' }]);
    await d.insertJsonEachRow('kv', '{"k":"b","v":2,"t":"1795639433609000124"}\n{"k":"c","v":3,"t":"1795639433609000125"}');
    await d.insertJsonEachRow('kv', Buffer.from('{"k":"d","v":4,"t":"1795639433609000126"}'));
    await d.insertJsonEachRow('kv', []);
    const rows = await d.query<{ k: string; v: number; t: string }>(`SELECT k, v, t FROM ${qualified(d.database, 'kv')} ORDER BY k`);
    assert.deepEqual(rows.map((r) => r.k), ['a', 'b', 'c', 'd']);
    assert.equal(rows[0]?.v, 1);
    assert.equal(rows[0]?.t, '2026-11-25T20:43:53.609000123Z');
  }));

  test(`${name}: settings apply per connection and per query`, () => withDriver(async (d) => {
    const [conn] = await d.query<{ v: string }>("SELECT getSetting('max_execution_time') AS v");
    assert.equal(Number(conn?.v), 7);
    const [perQuery] = await d.query<{ v: string }>("SELECT getSetting('max_execution_time') AS v", { settings: { max_execution_time: 3 } });
    assert.equal(Number(perQuery?.v), 3);
  }, { max_execution_time: 7 }));

  test(`${name}: failures are WardenErrors carrying the store's message`, () => withDriver(async (d) => {
    await assert.rejects(d.query('SELECT * FROM no_such_table_here'), (e: unknown) => {
      assert.ok(isWardenError(e, 'WARDEN_STORE_QUERY'), String(e));
      assert.match(e.message, /store query failed: .*no_such_table_here/);
      return true;
    });
    await assert.rejects(d.insertJsonEachRow('no_such_table_here', [{ a: 1 }]), (e: unknown) => isWardenError(e, 'WARDEN_STORE_QUERY'));
  }));

  test(`${name}: ping reports the engine version; migrations apply`, () => withDriver(async (d) => {
    const ping = await d.ping();
    assert.ok(ping.ok && /^\d+\.\d+/.test(ping.value.version));
    const result = await migrate(d);
    assert.ok(result.applied.length >= 4);
    const [count] = await d.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(d.database, 'tool_calls')}`);
    assert.equal(count?.n, 0);
  }));
}

contract('chdb', (database, settings) => ChdbDriver.open({ path: testDataDir(), database, ...(settings ? { settings } : {}) }));

contract('server driver (over chdb/connection)', (database, settings) => ServerDriver.open({
  url: 'http://chdb.local',
  // chdb/connection types against client-common's copy of the interface; same shape at run time.
  connection: createChdbConnection({ path: testDataDir() }) as unknown as NonNullable<ServerDriverOptions['connection']>,
  database,
  ...(settings ? { settings } : {}),
}));

if (process.env.CLICKHOUSE_URL) {
  const url = process.env.CLICKHOUSE_URL;
  contract('server (CLICKHOUSE_URL)', (database, settings) => ServerDriver.open({
    url,
    database,
    ...(process.env.CLICKHOUSE_USER ? { username: process.env.CLICKHOUSE_USER } : {}),
    ...(process.env.CLICKHOUSE_PASSWORD ? { password: process.env.CLICKHOUSE_PASSWORD } : {}),
    ...(settings ? { settings } : {}),
  }));
} else {
  test('server (CLICKHOUSE_URL): the StoreDriver contract against a real ClickHouse server', {
    skip: 'not run: set CLICKHOUSE_URL (and CLICKHOUSE_USER/CLICKHOUSE_PASSWORD) to a ClickHouse 23.8+ server',
  }, () => undefined);
}
