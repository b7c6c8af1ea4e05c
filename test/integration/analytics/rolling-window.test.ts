// The rolling-window definition on the real store: windows straddling a minute boundary,
// calls just before `from`, and a span delivered twice counting once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ANALYTICS_CONFIG, DETECTORS, analyticsContext, computeRates, listAgents } from '../../../src/analytics/index.js';
import { Tables } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';

const base = Date.parse('2026-11-25T10:00:00Z');
function span(ms: number, id: string, tool = 'session_close') {
  return {
    Timestamp: `${ms}000000`, TraceId: 'a'.repeat(32), SpanId: id, SpanName: `tools/call ${tool}`, SpanKind: 'Server', ServiceName: 'warden-proxy',
    SpanAttributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool, 'gen_ai.agent.id': 'a1', 'warden.decision': 'allow' },
  };
}

/** A write-risk session_close call (what bulk_write_burst watches). */
function write(ms: number, id: string) {
  const row = span(ms, id.padStart(16, '0'));
  return { ...row, SpanAttributes: { ...row.SpanAttributes, 'warden.tool.risk': 'write' } };
}

test('rolling max counts across a minute boundary (6), not per calendar minute (3)', async () => {
  const store = await openTestStore();
  try {
    const times = [59_500, 59_700, 59_900, 60_100, 60_300, 60_500].map((d) => base + d);
    const rows = times.map((t, i) => span(t, `${i}`.padStart(16, '0')));
    rows.push(span(times[5] as number, '5'.padStart(16, '0'))); // redelivered
    await store.insertJsonEachRow(Tables.OTEL_TRACES, rows);
    const ctx = analyticsContext(store);
    const [rate] = await computeRates(ctx, { fromMs: base, toMs: base + 3_600_000 }, 60);
    assert.deepEqual(rate, { agent: 'a1', tool: 'session_close', calls: 6, mean_per_window: 0.1, p50: 4, p95: 6, p99: 6, max_per_window: 6, window_s: 60 });
    // Calls before `from` still count in the windows of calls just after it.
    const [late] = await computeRates(ctx, { fromMs: base + 60_000, toMs: base + 3_600_000 }, 60);
    assert.equal(late?.calls, 3);
    assert.equal(late?.max_per_window, 6);
    // A window of exactly 1 s: (t − 1 s, t] holds 59.5 … 60.3 at 60.3 → 5 calls.
    const [short] = await computeRates(ctx, { fromMs: base, toMs: base + 3_600_000 }, 1);
    assert.equal(short?.max_per_window, 5);
    const [agent] = await listAgents(ctx, { fromMs: base, toMs: base + 3_600_000 });
    assert.equal(agent?.peak_per_minute, 6);
  } finally {
    await store.close();
  }
});

test('bulk_write_burst: a burst split across a minute boundary is found (no calendar minute holds enough), redelivered spans count once', async () => {
  const store = await openTestStore();
  try {
    const t = DEFAULT_ANALYTICS_CONFIG.anomalies;
    const half = Math.ceil(t.burstCeiling / 2) + 1; // each minute alone stays under the ceiling and the prefilter
    assert.ok(half < t.burstMinCalls * 4 && 2 * half >= t.burstCeiling);
    const rows = [];
    for (let i = 0; i < half; i++) rows.push(write(base + 45_000 + i * 100, `b${i}`), write(base + 60_000 + i * 100, `c${i}`));
    await store.insertJsonEachRow(Tables.OTEL_TRACES, rows);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, rows.slice(0, 40)); // redelivered: must not raise the count
    const ctx = analyticsContext(store);
    const [burst, ...more] = await DETECTORS.bulk_write_burst(ctx, { fromMs: base, toMs: base + 3_600_000 }, {});
    assert.equal(more.length, 0);
    assert.equal(burst?.observed, 2 * half, 'the rolling window over the boundary, each span once');
    assert.equal(burst?.calls, half, 'the calls of the minute where the rolling count crossed the threshold');
  } finally {
    await store.close();
  }
});

test('bulk_write_burst: a burst straddling two 10-minute buckets counts the calls of both, though neither alone reaches the prefilter', async () => {
  const store = await openTestStore();
  try {
    const t = DEFAULT_ANALYTICS_CONFIG.anomalies;
    // A quiet history (3 writes a day) puts the threshold at its floor, burstMinCalls.
    const history = [1, 2, 3].flatMap((d) => [0, 1, 2].map((i) => write(base - d * 86_400_000 + i * 1_000, `h${d}x${i}`)));
    assert.ok(t.burstFactor * 3 <= t.burstMinCalls);
    const early = Math.floor(t.burstMinCalls / 2) + 5; // each part under the floor on its own…
    const late = t.burstMinCalls - early + 5; // …the two within one window over it
    assert.ok(early < t.burstMinCalls && late < t.burstMinCalls);
    const boundary = base + 600_000; // 10:10:00, a bucket boundary of the 10-minute rollup
    const rows = [
      ...Array.from({ length: early }, (_, i) => write(boundary - 10_000 + i * 100, `e${i}`)),
      ...Array.from({ length: late }, (_, i) => write(boundary + i * 100, `l${i}`)),
    ];
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [...history, ...rows]);
    const [burst, ...more] = await DETECTORS.bulk_write_burst(analyticsContext(store), { fromMs: base, toMs: base + 3_600_000 }, {});
    assert.equal(more.length, 0);
    assert.equal(burst?.threshold, t.burstMinCalls);
    assert.equal(burst?.observed, early + late, 'the window over the boundary holds the calls of both buckets');
  } finally {
    await store.close();
  }
});

test('bulk_write_burst: a burst whose calls arrive in several inserts, each under the prefilter, is found', async () => {
  const store = await openTestStore();
  try {
    const t = DEFAULT_ANALYTICS_CONFIG.anomalies;
    const history = [1, 2, 3].flatMap((d) => [0, 1, 2].map((i) => write(base - d * 86_400_000 + i * 1_000, `h${d}x${i}`)));
    const calls = Array.from({ length: t.burstMinCalls + 4 }, (_, i) => write(base + 120_000 + i * 500, `p${i}`));
    const third = Math.ceil(calls.length / 3);
    assert.ok(2 * third < Math.min(t.burstMinCalls, t.burstCeiling), 'any two of the inserts are under the prefilter');
    // Separate inserts, separate parts: the burst's 10-minute bucket has three rollup rows until a merge.
    await store.insertJsonEachRow(Tables.OTEL_TRACES, calls.slice(0, third));
    await store.insertJsonEachRow(Tables.OTEL_TRACES, history);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, calls.slice(third, 2 * third));
    await store.insertJsonEachRow(Tables.OTEL_TRACES, calls.slice(2 * third));
    const found = await DETECTORS.bulk_write_burst(analyticsContext(store), { fromMs: base, toMs: base + 3_600_000 }, {});
    assert.deepEqual(found.map((a) => a.observed), [calls.length]);
  } finally {
    await store.close();
  }
});
