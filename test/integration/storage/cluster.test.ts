import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBootstrap, loadMigrations, renderClusterMigration, renderClusterSql } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';

const opts = { database: 'warden', cluster: 'prod' };
const all = loadMigrations().flatMap((m) => renderClusterMigration(m.text, opts));

test('every cluster DDL statement carries ON CLUSTER; a backfill runs once, across the Distributed tables', () => {
  const isInsert = (s: string) => /^INSERT /m.test(s);
  const [inserts, ddl] = [all.filter(isInsert), all.filter((s) => !isInsert(s))];
  for (const s of [...clusterBootstrap(opts), ...ddl]) assert.match(s, /ON CLUSTER `prod`/, s.slice(0, 120));
  assert.ok(inserts.length > 0);
  for (const s of inserts) {
    assert.doesNotMatch(s, /ON CLUSTER|_local/, 'DML is not run per node: it reads every shard and writes through the Distributed table once');
  }
});

test('tables become Replicated *_local tables plus Distributed tables under the original names', () => {
  const creates = all.filter((s) => /^CREATE TABLE/.test(s));
  for (const table of ['otel_traces', 'otel_traces_trace_id_ts', 'tool_calls', 'tool_calls_1m', 'tool_calls_10m', 'tool_inventory']) {
    const local = creates.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`warden\`.${table}_local `));
    assert.ok(local, `no ${table}_local`);
    assert.match(local, /ENGINE = Replicated(Replacing|Aggregating|Summing)?MergeTree\(\)/);
    const distributed = creates.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`warden\`.${table} `));
    assert.ok(distributed, `no Distributed ${table}`);
    assert.match(distributed, new RegExp(`AS \`warden\`\\.${table}_local\\nENGINE = Distributed\\('prod', 'warden', '${table}_local', [^)]+\\)`));
  }
  const traces = creates.find((s) => s.includes("'otel_traces_local', "));
  assert.match(traces ?? '', /cityHash64\(TraceId\)\)$/, 'spans of one trace (and a redelivered span) land on one shard');
  const toolCalls = creates.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `warden`.tool_calls_local '));
  assert.match(toolCalls ?? '', /ENGINE = ReplicatedReplacingMergeTree\(\)/);
  assert.match(toolCalls ?? '', /TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
});

test('materialized views read and write the local tables', () => {
  const views = all.filter((s) => /^CREATE MATERIALIZED VIEW/.test(s));
  assert.ok(views.length >= 4);
  for (const v of views) {
    assert.match(v, /\bTO `warden`\.[a-z0-9_]+_local\b/);
    assert.match(v, /\bFROM `warden`\.[a-z0-9_]+_local\b/);
    assert.doesNotMatch(v, /(TO|FROM) `warden`\.(otel_traces|tool_calls)\b(?!_)/);
  }
});

test('the migrations record is replicated with one path for the whole cluster', () => {
  const [db, record] = clusterBootstrap(opts);
  assert.equal(db, 'CREATE DATABASE IF NOT EXISTS `warden` ON CLUSTER `prod`');
  assert.match(record ?? '', /ReplicatedMergeTree\('\/clickhouse\/warden\/warden\/schema_migrations', '\{replica\}'\)/);
});

test('the printed cluster SQL is accepted by the ClickHouse parser', async () => {
  const text = renderClusterSql({ ...opts, ttlDays: 7 });
  assert.match(text, /toIntervalDay\(7\)/);
  const statements = text.split(/;\n/).map((s) => s.replace(/^--.*$/gm, '').trim()).filter(Boolean);
  assert.equal(statements.length, clusterBootstrap(opts).length + all.length);
  const store = await openTestStore({ migrate: false });
  try {
    for (const statement of statements) {
      const ast = await store.query<{ explain: string }>(`EXPLAIN AST ${statement}`);
      assert.ok(ast.length > 0, statement.slice(0, 80));
    }
  } finally {
    await store.close();
  }
});

test('a setting changed or a column filled goes to the local tables; a new column also to the Distributed table', () => {
  const alters = all.filter((s) => /^ALTER TABLE/.test(s));
  const adds = alters.filter((s) => / ADD COLUMN /.test(s));
  assert.ok(alters.length > adds.length && adds.length > 0);
  for (const s of alters.filter((a) => !adds.includes(a))) {
    assert.match(s, /^ALTER TABLE `warden`\.[a-z0-9_]+_local ON CLUSTER `prod` (MODIFY SETTING|MATERIALIZE COLUMN) /, s);
  }
  const callKey = adds.filter((s) => / ADD COLUMN IF NOT EXISTS call_key /.test(s));
  assert.deepEqual(callKey.map((s) => s.slice(0, s.indexOf(' ON CLUSTER'))), ['ALTER TABLE `warden`.tool_calls_local', 'ALTER TABLE `warden`.tool_calls'], 'the local table stores it; the Distributed table lets queries name it');
  assert.match(callKey[0] ?? '', / call_key UInt64 MATERIALIZED if\(/, 'computed and stored where the rows are');
  assert.match(callKey[1] ?? '', / call_key UInt64$/, 'a plain column on the Distributed table (it takes no MATERIALIZED column)');
});
