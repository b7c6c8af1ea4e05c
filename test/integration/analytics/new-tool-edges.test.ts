// new_tool takes its candidates from the 10-minute rollup (a bucket wholly inside the lookback
// proves an earlier call) and their first calls from the calls themselves. Around the edges a
// rollup bucket straddles (the lookback's start, the range's start, neither on a 10-minute
// boundary) the answer must equal the definition on the calls: first call in the range, none
// in the lookback before it, the agent seen for at least a day before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ANALYTICS_CONFIG, DETECTORS, analyticsContext } from '../../../src/analytics/index.js';
import { Tables } from '../../../src/storage/index.js';
import { callRow } from '../../helpers/alert-spans.js';
import { openTestStore } from '../../helpers/store.js';

const MIN = 60_000;
const FROM = Date.parse('2026-11-25T12:05:00Z'); // not on a 10-minute boundary
const LOOKBACK = DEFAULT_ANALYTICS_CONFIG.anomalies.baselineLookbackMs;
const agent = 'agent-a';

test('new_tool: first uses around straddled rollup buckets are judged on the calls', async () => {
  const store = await openTestStore();
  try {
    const call = (tool: string, tsMs: number) => callRow({ agent, tool, tsMs, risk: 'read' });
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [
      call('steady', FROM - LOOKBACK + 10 * MIN), // the agent's history: seen 7 days back
      call('steady', FROM + 30 * MIN),
      call('in-lookback', FROM - 3 * 86_400_000), // used 3 days before: not new
      call('in-lookback', FROM + 40 * MIN),
      call('before-window', FROM - LOOKBACK - 2 * MIN), // its bucket straddles the lookback's start
      call('before-window', FROM + 50 * MIN),
      call('just-before', FROM - 2 * MIN), // its bucket straddles the range's start
      call('just-before', FROM + 60 * MIN),
      call('just-after', FROM + 2 * MIN), // same bucket as just-before's first call, other series
      call('fresh', FROM + 70 * MIN),
    ]);
    const found = await DETECTORS.new_tool(analyticsContext(store), { fromMs: FROM, toMs: FROM + 86_400_000 }, {});
    assert.deepEqual(found.map((a) => [a.tool, a.start]).sort(), [
      ['before-window', new Date(FROM + 50 * MIN).toISOString()],
      ['fresh', new Date(FROM + 70 * MIN).toISOString()],
      ['just-after', new Date(FROM + 2 * MIN).toISOString()],
    ]);
  } finally {
    await store.close();
  }
});
