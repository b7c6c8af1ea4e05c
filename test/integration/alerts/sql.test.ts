import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreDriver } from '../../../src/storage/index.js';
import { Tables } from '../../../src/storage/index.js';
import { evaluateRules, grafanaMetricQuery, parseAlertsText, ruleDefinitions, wardenMetricQuery, type MetricCondition } from '../../../src/alerts/index.js';
import { expandBackendMacros } from '../../helpers/grafana/index.js';
import { openTestStore } from '../../helpers/store.js';
import { burst, callRow } from '../../helpers/alert-spans.js';

const NOW = Date.parse('2026-11-25T10:00:30.000Z');
let store: StoreDriver;

before(async () => {
  store = await openTestStore();
  const dup = callRow({ tsMs: NOW - 1000, agent: 'runaway', tool: 'session_close', spanId: 'dddddddddddddddd' });
  await store.insertJsonEachRow(Tables.OTEL_TRACES, [
    ...burst(70, NOW - 59_000, NOW - 1_000, { agent: 'runaway', tool: 'session_close', risk: 'write' }),
    dup,
    ...burst(40, NOW - 59_000, NOW - 1_000, { agent: 'runaway', tool: 'load_context', risk: 'read' }),
    ...burst(30, NOW - 130_000, NOW - 61_000, { agent: 'steady', tool: 'session_close', risk: 'write' }), // older than the window
    ...burst(5, NOW - 30_000, NOW, { agent: 'steady', tool: 'session_close', risk: 'write' }),
    ...burst(12, NOW - 30_000, NOW, { agent: 'auditee', tool: 'forget', risk: 'destructive', decision: 'deny', mode: 'audit' }),
    ...burst(15, NOW - 30_000, NOW, { agent: 'stormer', tool: 'doctor', risk: 'execute', decision: 'deny', mode: 'enforce' }),
    ...burst(3, NOW + 1, NOW + 5_000, { agent: 'future', tool: 'x', risk: 'write' }), // after evaluation time
  ]);
  await store.insertJsonEachRow(Tables.OTEL_TRACES, [dup]); // redelivered
});
after(async () => store.close());

const RULES = (() => {
  const r = parseAlertsText(`
rules:
  - { name: writes, when: { calls_per_minute: { above: 60 }, risk: [write, execute, destructive] } }
  - { name: any, when: { calls_per_minute: { above: 100 } } }
  - { name: per-tool, when: { calls_per_minute: { above: 2 }, agent: [steady, runaway], per_tool: true } }
  - { name: audit, when: { would_deny_per_minute: { above: 10 } } }
  - { name: storm, when: { deny_storm: true } }
  - { name: quoted, when: { calls_per_minute: { above: 0 }, tool: ["it's"] } }
  - { name: short, when: { calls_per_minute: { above: 60, window: 10s }, agent: [steady, runaway] } }
`);
  assert.ok(r.ok);
  return r.value.rules;
})();

test('metric rules count distinct spans in the rolling 60 s before evaluation, per agent (or agent + tool)', async () => {
  const result = await evaluateRules(store, RULES, undefined, NOW);
  assert.deepEqual(result.failures, []);
  assert.deepEqual([...result.evaluated].sort(), RULES.map((r) => r.name).sort());
  const seen = result.observations.map((o) => `${o.rule} ${o.agent} ${o.tool} ${o.value}`).sort();
  assert.deepEqual(seen, [
    'any runaway  111',
    'audit auditee  12',
    'per-tool runaway load_context 40',
    'per-tool runaway session_close 71',
    'per-tool steady session_close 5',
    // 10 s window: runaway made 110/58 s·10 s ≈ 18 calls (+1 redelivered-once dup) → ×6 per minute.
    `short runaway  ${result.observations.find((o) => o.rule === 'short')?.value}`,
    'storm stormer doctor 15',
    'writes runaway  71',
  ]);
  const short = result.observations.find((o) => o.rule === 'short');
  assert.ok(short && short.value > 60 && short.value % 6 === 0, `short window rate ${short?.value} is a count × 6`);
  assert.match(short.summary, /^\d+ calls\/min > 60 \(rolling 10 s; agent in steady, runaway\)$/);
  assert.match(result.observations.find((o) => o.rule === 'writes')?.summary ?? '', /^71 calls\/min > 60 \(rolling 60 s; risk in write, execute, destructive\)$/);
});

test('Grafana and Warden SQL come from the same pieces: with the macro expanded, Grafana sees the same counts', async () => {
  for (const def of ruleDefinitions(RULES)) {
    const cond = def.rule.condition as MetricCondition;
    const g = def.grafana;
    assert.ok(g && def.warden);
    assert.deepEqual(g.relativeTimeRangeS, { from: cond.windowS, to: 0 });
    assert.equal(g.threshold, cond.above);
    if (cond.kind === 'deny_storm') assert.match(g.rawSql, /FROM \(SELECT [^)]* FROM `warden`\.`tool_calls` WHERE ts >= \$__fromTime_ms - toIntervalMillisecond\(\d+\) AND ts < \$__toTime_ms .* LIMIT 1 BY agent, tool, ts, span_id\)/);
    else assert.match(g.rawSql, /FROM `warden`\.`tool_calls`\nWHERE \$__timeFilter\(ts\)/);
    assert.doesNotMatch(g.rawSql, /\{\w+:/, 'no bound placeholders in Grafana SQL');
    const w = wardenMetricQuery(cond, store.database, NOW);
    assert.doesNotMatch(w.sql, /'write'/, 'Warden binds filter values');
    // Expand the macros the way the plugin does, over the rule's relative range ending at NOW
    // (+1 ms: Warden's window includes a call at the evaluation instant; $__timeFilter is second-resolution).
    const sql = expandBackendMacros(grafanaMetricQuery(cond, store.database).rawSql, { from: new Date(NOW - cond.windowS * 1000), to: new Date(NOW + 1), intervalMs: 1000 });
    const grafanaRows = (await store.query<{ agent: string; tool?: string; value: number }>(sql))
      .filter((r) => r.value > g.threshold).map((r) => `${r.agent} ${r.tool ?? ''} ${r.value}`).sort();
    const wardenRows = (await store.query<{ agent: string; tool: string; value: number }>(w.sql, { params: w.params }))
      .map((r) => `${r.agent} ${r.tool} ${r.value}`).sort();
    assert.deepEqual(grafanaRows, wardenRows, def.rule.name);
  }
});

test('filter values are escaped literals for Grafana and bound parameters for Warden', () => {
  const quoted = ruleDefinitions(RULES).find((d) => d.rule.name === 'quoted');
  assert.match(quoted?.grafana?.rawSql ?? '', /tool IN \('it\\'s'\)/);
  const w = quoted?.warden?.('warden', NOW);
  assert.match(w?.sql ?? '', /tool IN \{tool:Array\(String\)\}/);
  assert.deepEqual(w?.params.tool, ["it's"]);
});

test('anomaly rules have no SQL; they need the detectors', () => {
  const r = parseAlertsText('rules: [{ name: a, when: { anomaly: [rate_spike] } }]');
  assert.ok(r.ok);
  const [def] = ruleDefinitions(r.value.rules);
  assert.equal(def?.grafana, undefined);
  assert.equal(def?.warden, undefined);
  assert.equal(def?.summary, 'anomaly rate_spike of severity ≥ high');
});
