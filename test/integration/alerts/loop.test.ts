import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { Tables } from '../../../src/storage/index.js';
import { AlertLoop, parseAlertsText, type AlertConfig } from '../../../src/alerts/index.js';
import { openTestStore } from '../../helpers/store.js';
import { burst } from '../../helpers/alert-spans.js';

const T = Date.parse('2026-11-25T10:00:00.000Z');

function config(): AlertConfig {
  const r = parseAlertsText(`
rules:
  - { name: sustained, when: { calls_per_minute: { above: 10 } }, for: 30s }
  - { name: brief, when: { calls_per_minute: { above: 10 }, agent: [blip] }, for: 30s }
`);
  assert.ok(r.ok);
  return r.value;
}

test('pending state survives a restart (for: keeps counting), a cleared pending alert is gone after one', async () => {
  const store = await openTestStore();
  try {
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [
      ...burst(20, T - 10_000, T, { agent: 'runaway', tool: 'session_close' }),
      ...burst(20, T - 10_000, T, { agent: 'blip', tool: 'session_close' }),
    ]);
    const clock = new ManualClock(T);
    const first = new AlertLoop({ store, config: config(), clock });
    const s1 = await first.evaluateOnce();
    assert.deepEqual([s1.failures, s1.pending, s1.firing], [[], 3, 0]); // sustained×{runaway, blip} + brief×blip
    await first.stop();

    // The runaway keeps going, the blip stops; a new process picks up where the first left off.
    // At T+61 s the first calls have left the 60 s window: only the runaway's new calls count.
    await store.insertJsonEachRow(Tables.OTEL_TRACES, burst(20, T + 40_000, T + 60_000, { agent: 'runaway', tool: 'session_close' }));
    clock.set(T + 61_000);
    const second = new AlertLoop({ store, config: config(), clock });
    const s2 = await second.evaluateOnce();
    assert.equal(s2.failures.length, 0);
    const states = second.snapshot().alerts.map((a) => `${a.rule} ${a.agent} ${a.status}`).sort();
    assert.deepEqual(states, ['sustained runaway firing'], 'fired: pending since T, counted across the restart; the blip\'s pending alerts cleared');
    assert.equal(s2.notifications, 1);
    await second.stop();

    const third = new AlertLoop({ store, config: config(), clock });
    await third.start();
    await third.stop();
    assert.deepEqual(third.snapshot().alerts.map((a) => `${a.rule} ${a.agent} ${a.status} ${a.activeSinceMs === T}`), ['sustained runaway firing true']);
  } finally {
    await store.close();
  }
});
