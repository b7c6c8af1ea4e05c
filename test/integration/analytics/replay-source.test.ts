// What a replay reads (replay-source.ts) must be the stored calls, each once, in (ts, span_id)
// order, whatever the slice boundaries: the slice is moved as time differences and per-slice
// session numbers, so a mistake there would shift a call's time or hand it another call's
// session (and session-scoped limits would then count the wrong calls). A call's `r` and
// spanIdsOf must name its own span among calls at the same millisecond.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsContext, recordedCalls, spanIdsOf, type RecordedCall } from '../../../src/analytics/index.js';
import { Tables, qualified, type StoreDriver } from '../../../src/storage/index.js';
import { callRow, type CallSpec } from '../../helpers/alert-spans.js';
import { openTestStore } from '../../helpers/store.js';

const FROM = Date.parse('2026-11-25T10:00:00Z');
const HOUR_MS = 3_600_000;
const RANGE = { fromMs: FROM, toMs: FROM + 5 * HOUR_MS };

/** Over five hours: several sessions (and none), ties at one millisecond, refusals, a redelivered span. */
function calls(): CallSpec[] {
  const out: CallSpec[] = [];
  let seq = 0;
  const add = (dtMs: number, agent: string, tool: string, session: string, decision = 'allow') =>
    out.push({ tsMs: FROM + dtMs, agent, tool, session, decision, mode: 'enforce', spanId: (++seq * 7919).toString(16).padStart(16, '0') });
  for (let i = 0; i < 200; i++) add(i * 83_000 + (i % 7) * 911, `agent-${i % 3}`, `tool-${i % 4}`, i % 5 === 0 ? '' : `session-${i % 11}`, i % 9 === 0 ? 'rate_limited' : 'allow');
  for (let k = 0; k < 4; k++) add(2 * HOUR_MS + 5, 'agent-1', 'tool-2', 'session-tie'); // four calls, one millisecond, one session
  add(2 * HOUR_MS + 5, 'agent-1', 'tool-2', 'session-other');
  add(-1, 'agent-0', 'tool-0', 'before'); // outside the range
  add(5 * HOUR_MS, 'agent-0', 'tool-0', 'after');
  return out;
}

let store: StoreDriver;
const CALLS = calls();

before(async () => {
  store = await openTestStore();
  await store.insertJsonEachRow(Tables.OTEL_TRACES, CALLS.map(callRow));
  await store.insertJsonEachRow(Tables.OTEL_TRACES, [callRow(CALLS[17]!)]); // redelivered: counted once
});
after(async () => store.close());

/** The calls of RANGE as stored, each span once, in the order a replay must give them. */
function storedCalls() {
  return store.query<{ t: number; a: string; o: string; s: string; d: string; e: number; span: string }>(
    `SELECT toUnixTimestamp64Milli(ts) AS t, agent AS a, tool AS o, session AS s, decision AS d, toUInt8(enforced) AS e, span_id AS span
     FROM ${qualified(store.database, Tables.TOOL_CALLS)} FINAL
     WHERE ts >= fromUnixTimestamp64Milli({f:Int64}) AND ts < fromUnixTimestamp64Milli({t:Int64}) ORDER BY ts, span_id`,
    { params: { f: RANGE.fromMs, t: RANGE.toMs } },
  );
}

async function replayed(sliceRows: number): Promise<RecordedCall[]> {
  const out: RecordedCall[] = [];
  for await (const slice of recordedCalls(analyticsContext(store), RANGE, sliceRows)) out.push(...slice);
  return out;
}

test('a replay reads every stored call once, in (ts, span_id) order, with its own time, session and decision, for any slice size', async () => {
  const stored = await storedCalls();
  assert.equal(stored.length, CALLS.length - 2);
  const expected = stored.map(({ t, a, o, s, d, e }) => ({ t: Number(t), a, o, s, d, e: Number(e) === 1 }));
  for (const sliceRows of [1, 7, 50, 250_000]) {
    const got = await replayed(sliceRows);
    assert.deepEqual(got.map(({ r: _r, ...c }) => c), expected, `slices of ${sliceRows}`);
  }
});

test("each call's r names its own span among calls at the same millisecond (spanIdsOf)", async () => {
  const got = await replayed(7);
  const ties = got.filter((c) => c.s === 'session-tie');
  assert.deepEqual(ties.map((c) => c.r), [0, 1, 2, 3]);
  const ids = await spanIdsOf(analyticsContext(store), got);
  const stored = await storedCalls();
  assert.deepEqual(ids, stored.map((r) => r.span));
});
