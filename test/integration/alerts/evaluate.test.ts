// An anomaly rule evaluates each detector on its own: one that fails (here a real query error
// from a bad threshold) is reported, the others' findings still fire, and the rule cannot resolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsContext, DEFAULT_ANALYTICS_CONFIG } from '../../../src/analytics/index.js';
import { Tables } from '../../../src/storage/index.js';
import { analyticsAnomalySource, evaluateRules, parseAlertsText } from '../../../src/alerts/index.js';
import { openTestStore } from '../../helpers/store.js';
import { burst } from '../../helpers/alert-spans.js';

const T = Date.parse('2026-11-25T10:00:00.000Z');

test('a failing detector does not hide what the other detectors of the rule found', async () => {
  const store = await openTestStore();
  try {
    // 400 writes in a minute: a bulk write burst well over the 120/min ceiling.
    await store.insertJsonEachRow(Tables.OTEL_TRACES, burst(400, T - 60_000, T, { agent: 'runaway', tool: 'memory_write', risk: 'write' }));
    const parsed = parseAlertsText('rules: [{ name: anomalies, when: { anomaly: [bulk_write_burst, repeat_loop], severity_at_least: high } }]');
    assert.ok(parsed.ok);
    // repeatRun must be a UInt32: -1 makes the repeat_loop query itself fail in the engine.
    const broken = { ...DEFAULT_ANALYTICS_CONFIG, anomalies: { ...DEFAULT_ANALYTICS_CONFIG.anomalies, repeatRun: -1 } };
    const result = await evaluateRules(store, parsed.value.rules, analyticsAnomalySource(analyticsContext(store, broken)), T + 1_000);

    assert.deepEqual(result.observations.map((o) => [o.rule, o.agent]), [['anomalies', 'runaway']]);
    assert.match(result.observations[0]?.summary ?? '', /bulk_write_burst/);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]?.error ?? '', /^repeat_loop: /);
    assert.equal(result.evaluated.has('anomalies'), false, 'a rule with a failed detector must not resolve its alerts');
  } finally {
    await store.close();
  }
});
