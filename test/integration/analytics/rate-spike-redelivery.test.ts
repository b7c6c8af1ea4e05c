// rate_spike counts its buckets without FINAL for speed; a span delivered twice (a proxy's
// spool resending a batch whose acknowledgement was lost) must still count once in what it
// reports and decides: neither doubling a real spike's count nor making a spike of a bucket
// that only reaches the threshold when its copies count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ANALYTICS_CONFIG, DETECTORS, analyticsContext, spikeThreshold } from '../../../src/analytics/index.js';
import { Tables } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';

const BUCKET_MS = DEFAULT_ANALYTICS_CONFIG.anomalies.spikeBucketS * 1000;
const base = Date.parse('2026-11-25T00:00:00Z');
const HISTORY_PER_BUCKET = 3;
const HISTORY_BUCKETS = 48;

function span(ms: number, id: string) {
  return {
    Timestamp: `${ms}000000`, TraceId: 'b'.repeat(32), SpanId: id.padStart(16, '0'), SpanName: 'tools/call memory_search', SpanKind: 'Server', ServiceName: 'warden-proxy',
    SpanAttributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'memory_search', 'gen_ai.agent.id': 'steady', 'warden.decision': 'allow' },
  };
}

/** `n` spans spread over the bucket starting at `startMs`, ids prefixed by `tag`. */
function bucket(startMs: number, n: number, tag: string, widthMs = BUCKET_MS) {
  return Array.from({ length: n }, (_, i) => span(startMs + Math.floor((i * widthMs) / n), `${tag}${i}`));
}

/** A steady series before `base` (every other bucket), and the threshold it sets. */
function steadyHistory() {
  const history = [];
  for (let b = 0; b < HISTORY_BUCKETS; b++) history.push(...bucket(base - (b + 1) * 2 * BUCKET_MS, HISTORY_PER_BUCKET, `h${b}x`));
  const { threshold } = spikeThreshold(Array(HISTORY_BUCKETS).fill(HISTORY_PER_BUCKET), DEFAULT_ANALYTICS_CONFIG.anomalies) ?? assert.fail('history too short to judge');
  return { history, threshold };
}

test('rate_spike: redelivered spans count once in a spike and never make one', async () => {
  const store = await openTestStore();
  try {
    const { history, threshold } = steadyHistory();
    const spikeCalls = threshold + 5;
    const nearCalls = Math.ceil(threshold / 2) + 1; // under the threshold once, over it twice
    assert.ok(nearCalls < threshold && 2 * nearCalls >= threshold);
    const spike = bucket(base + 6 * BUCKET_MS, spikeCalls, 's');
    const near = bucket(base + 30 * BUCKET_MS, nearCalls, 'n');
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [...history, ...spike, ...near]);
    // The copies arrive in later inserts: separate parts, not merged away when the detector reads.
    await store.insertJsonEachRow(Tables.OTEL_TRACES, spike);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, near);

    const found = await DETECTORS.rate_spike(analyticsContext(store), { fromMs: base, toMs: base + 86_400_000 }, {});
    assert.equal(found.length, 1, `one spike, not the redelivered near-miss: ${JSON.stringify(found.map((a) => [a.start, a.observed]))}`);
    const [flag] = found;
    assert.equal(flag?.start, new Date(base + 6 * BUCKET_MS).toISOString());
    assert.equal(flag?.observed, spikeCalls, 'each span once');
    assert.equal(flag?.calls, spikeCalls);
    assert.equal(flag?.threshold, threshold);
  } finally {
    await store.close();
  }
});

test('rate_spike: a spike whose calls arrive in several inserts, each under the minimum, is found', async () => {
  const store = await openTestStore();
  try {
    const { history, threshold } = steadyHistory();
    const minCalls = DEFAULT_ANALYTICS_CONFIG.anomalies.spikeMinCalls;
    const spikeCalls = Math.max(threshold, minCalls) + 4;
    const spike = bucket(base + 6 * BUCKET_MS, spikeCalls, 's');
    const half = Math.ceil(spikeCalls / 2);
    assert.ok(half < minCalls, 'each insert alone is under the minimum');
    // Three inserts, three parts of the rollup: the spike's bucket has two rows until a merge.
    await store.insertJsonEachRow(Tables.OTEL_TRACES, spike.slice(0, half));
    await store.insertJsonEachRow(Tables.OTEL_TRACES, history);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, spike.slice(half));

    const found = await DETECTORS.rate_spike(analyticsContext(store), { fromMs: base, toMs: base + 86_400_000 }, {});
    assert.deepEqual(found.map((a) => [a.start, a.observed]), [[new Date(base + 6 * BUCKET_MS).toISOString(), spikeCalls]]);
  } finally {
    await store.close();
  }
});

test('rate_spike: a bucket size the rollup cannot serve (5 minutes) is counted from the calls, split inserts included', async () => {
  const store = await openTestStore();
  try {
    const widthMs = 300_000;
    const config = { ...DEFAULT_ANALYTICS_CONFIG, anomalies: { ...DEFAULT_ANALYTICS_CONFIG.anomalies, spikeBucketS: widthMs / 1000 } };
    const history = [];
    for (let b = 0; b < HISTORY_BUCKETS; b++) history.push(...bucket(base - (b + 1) * 2 * widthMs, HISTORY_PER_BUCKET, `h${b}x`, widthMs));
    const { threshold } = spikeThreshold(Array(HISTORY_BUCKETS).fill(HISTORY_PER_BUCKET), config.anomalies) ?? assert.fail('history too short to judge');
    const spikeCalls = Math.max(threshold, config.anomalies.spikeMinCalls) + 4;
    const spike = bucket(base + 6 * widthMs, spikeCalls, 's', widthMs);
    const third = Math.ceil(spikeCalls / 3);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, spike.slice(0, third));
    await store.insertJsonEachRow(Tables.OTEL_TRACES, history);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, spike.slice(third));

    const found = await DETECTORS.rate_spike(analyticsContext(store, config), { fromMs: base, toMs: base + 86_400_000 }, {});
    assert.deepEqual(found.map((a) => [a.start, a.end, a.observed]), [[new Date(base + 6 * widthMs).toISOString(), new Date(base + 7 * widthMs).toISOString(), spikeCalls]]);
  } finally {
    await store.close();
  }
});
