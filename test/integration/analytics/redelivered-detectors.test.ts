// deny_storm, lifecycle_violation and error_loop read their calls filter-first and count each
// span once by the table's sorting key (callsOnce), not with FINAL. An adversary (or a spool
// replaying a batch) delivers every span twice: a case under each threshold must stay under it,
// and a flagged case must report each call once. Both stores hold the same spans; the copies
// are inserted in separate batches, so they sit in separate parts as a redelivery would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ANOMALY_THRESHOLDS, analyticsContext, detectAnomalies, type Anomaly } from '../../../src/analytics/index.js';
import { Tables, qualified, type StoreDriver } from '../../../src/storage/index.js';
import { callRow } from '../../helpers/alert-spans.js';
import { openTestStore } from '../../helpers/store.js';

const BASE = Date.parse('2026-11-25T10:00:00Z');
const RANGE = { fromMs: BASE - 3_600_000, toMs: BASE + 3_600_000 };
const T = DEFAULT_ANOMALY_THRESHOLDS;
let store: StoreDriver;

type Row = Record<string, unknown>;
const failed = (row: Row): Row => ({ ...row, StatusCode: 'Error' });
/** `n` calls 1 s apart from `startMs`, each with a fixed span id (so its copy is a true redelivery). */
function calls(n: number, startMs: number, prefix: string, spec: Omit<Parameters<typeof callRow>[0], 'tsMs' | 'spanId'>): Row[] {
  return Array.from({ length: n }, (_, i) => callRow({ ...spec, tsMs: startMs + i * 1000, spanId: `${prefix}${String(i).padStart(16 - prefix.length, '0')}` }));
}

const ROWS: Row[] = [
  // deny_storm: one short of the threshold (would be 2× over it counted with its copies), and one at it.
  ...calls(T.denyStorm - 1, BASE, 'd1', { agent: 'near-storm', tool: 'forget', decision: 'deny', mode: 'enforce' }),
  ...calls(T.denyStorm, BASE, 'd2', { agent: 'storm', tool: 'forget', decision: 'deny', mode: 'enforce' }),
  // lifecycle_violation: one close per session (its copy is not a second close), and one session closed twice.
  ...[0, 1, 2].map((i) => callRow({ tsMs: BASE + i * 60_000, agent: 'tidy', tool: 'session_close', session: `tidy-${i}`, spanId: `c1${String(i).padStart(14, '0')}` })),
  ...calls(2, BASE, 'c2', { agent: 'sloppy', tool: 'session_close', session: 'sloppy-0' }),
  // error_loop: one failure short of a run, and a run.
  ...calls(T.errorRun - 1, BASE, 'e1', { agent: 'near-loop', tool: 'doctor', session: 'near-loop-0' }).map(failed),
  ...calls(T.errorRun, BASE, 'e2', { agent: 'loop', tool: 'doctor', session: 'loop-0' }).map(failed),
];

before(async () => {
  store = await openTestStore();
  await store.insertJsonEachRow(Tables.OTEL_TRACES, ROWS);
  await store.insertJsonEachRow(Tables.OTEL_TRACES, ROWS); // every span again
});
after(async () => store.close());

const flagsOf = (found: Anomaly[], type: Anomaly['type']) => found.filter((a) => a.type === type).map((a) => ({ agent: a.agent, observed: a.observed, calls: a.calls }));

test('the copies are in the store (two of every span): the detectors below must see through them', async () => {
  const [row] = await store.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM ${qualified(store.database, Tables.TOOL_CALLS)}`);
  assert.equal(Number(row?.n), 2 * ROWS.length);
});

test('deny_storm counts each redelivered refusal once: under the threshold stays unflagged, the storm reports its real size (one call reaches it)', async () => {
  const found = await detectAnomalies(analyticsContext(store), RANGE, { types: ['deny_storm'] });
  assert.deepEqual(flagsOf(found, 'deny_storm'), [{ agent: 'storm', observed: T.denyStorm, calls: 1 }]);
});

test('lifecycle_violation: a redelivered close is not a second close; a session closed twice is one extra call', async () => {
  const found = await detectAnomalies(analyticsContext(store), RANGE, { types: ['lifecycle_violation'] });
  assert.deepEqual(flagsOf(found, 'lifecycle_violation'), [{ agent: 'sloppy', observed: 2, calls: 1 }]);
});

test('error_loop counts each redelivered failure once: one short of a run stays unflagged, the run reports its length', async () => {
  const found = await detectAnomalies(analyticsContext(store), RANGE, { types: ['error_loop'] });
  assert.deepEqual(flagsOf(found, 'error_loop'), [{ agent: 'loop', observed: T.errorRun, calls: T.errorRun }]);
});
