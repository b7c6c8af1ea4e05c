// The forward test: a policy learned on days 1–7 of a labelled 10-day workload (weekday/
// weekend and office-hour patterns, an agent growing 4 % a day, a nightly batch with bursts,
// a rarely used tool) and replayed on days 8–10, where a new runaway appears. Through the
// running API and the CLI; the labels judge the result independently of anomaly detection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { PolicyEngine, compilePolicy, type PolicyDocument } from '../../../src/policy/index.js';
import { Tables, qualified } from '../../../src/storage/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { WARDEN_BIN } from '../../helpers/processes.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { DAY_MS, type GeneratedCall, type Workload } from '../../../examples/workload/generate.js';
import { generateSeasonalWorkload } from '../../../examples/workload/seasonal.js';
import { FIXED_DATE_RETENTION_DAYS, insertWorkloadDirect } from '../../../examples/workload/writers.js';

const execFileAsync = promisify(execFile);
let serve: RunningServe;
let w: Workload;
const iso = (ms: number) => new Date(ms).toISOString();
/** A Monday: days 1–7 hold one weekend, the replayed days 8–10 none. */
const WORKLOAD_START_MS = Date.parse('2026-11-23T00:00:00Z');
/**
 * The runaway calls anomaly detection flags (1,100: a 300-close storm and an 800-call loop at
 * 40 a minute) include the loop's first calls of each minute, which look like ci-bot's normal
 * use. A limit learned from that use (its peak × 1.5 headroom: 9 or 10 a minute, depending on
 * where the weekends fall) refuses 30–31 of each minute's 40 and the storm's closes past it:
 * 0.79–0.81 of the flagged calls. The labels' stricter verdict on the excess alone is below.
 */
const RUNAWAY_REFUSED_MIN = 0.75;
/** Normal calls the forward policy may refuse: at most 1 in 1,000. */
const NORMAL_REFUSED_MAX = 0.001;

async function api<T = any>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, serve.url));
  return { status: res.status, body: (await res.json()) as T };
}

const suggested = (query: string) => api<any>(`/api/v1/policy/suggested?from=${iso(w.startMs)}&to=${iso(w.endMs)}&${query}`);

before(async () => {
  // A fixed calendar (weekends fall where they do on every run: learned limits depend on it),
  // kept past the default 30-day TTL, and serve's "now" at its end, so the CLI's --since
  // reaches the same days.
  w = generateSeasonalWorkload({ seed: 7, startMs: WORKLOAD_START_MS });
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('fwd'), flushInterval: '100ms', retentionDays: FIXED_DATE_RETENTION_DAYS }, {});
  serve = await startServe({ config, clock: new ManualClock(w.endMs) });
  await insertWorkloadDirect(serve.queryStore, w);
  const [row] = await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(serve.queryStore.database, Tables.TOOL_CALLS)} FINAL`);
  assert.equal(Number(row?.n), w.calls.length);
});

after(async () => {
  await serve?.close();
});

/** The labels' verdict on a policy over [fromMs, toMs): refused normal calls, and refused excess per runaway. */
function judge(policy: PolicyDocument, fromMs: number, toMs: number) {
  const compiled = compilePolicy(policy);
  assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.error));
  const engine = new PolicyEngine(compiled.value);
  const runaway = new Set(w.labels.flatMap((l) => l.spanIds));
  const refused: GeneratedCall[] = [];
  const refusedIds = new Set<string>();
  let normal = 0;
  for (const c of w.calls) {
    if (c.tsMs < fromMs || c.tsMs >= toMs) continue;
    const no = engine.decide({ tsMs: c.tsMs, agent: c.agent, tool: c.tool, session: c.session }).decision !== 'allow';
    if (no) refusedIds.add(c.spanId);
    if (runaway.has(c.spanId)) continue;
    normal++;
    if (no) refused.push(c);
  }
  const excess = w.labels.map((l) => ({ kind: l.kind, share: l.excessSpanIds.filter((s) => refusedIds.has(s)).length / l.excessSpanIds.length }));
  return { normal, refused, excess };
}

test('learned on days 1–7, judged on days 8–10: normal traffic passes, the new runaway does not', async () => {
  const res = await suggested('holdout=3d&headroom=1.5');
  assert.equal(res.status, 200);
  const f = res.body.forward_test;
  assert.deepEqual([f.learned_on, f.replayed_on], [{ from: iso(w.startMs), to: iso(w.startMs + 7 * DAY_MS) }, { from: iso(w.startMs + 7 * DAY_MS), to: iso(w.endMs) }]);
  assert.equal(f.calls, w.calls.filter((c) => c.tsMs >= w.startMs + 7 * DAY_MS).length);
  // The API's own verdict (runaway = what anomaly detection flagged in the replayed days).
  assert.ok(f.normal.refused_share <= NORMAL_REFUSED_MAX, JSON.stringify(f.normal));
  assert.ok(f.runaway_excess.calls >= 1000 && f.runaway_excess.refused_share >= RUNAWAY_REFUSED_MIN, JSON.stringify(f.runaway_excess));
  // The labels' verdict on the very policy the forward test replayed.
  const v = judge(f.policy, w.startMs + 7 * DAY_MS, w.endMs);
  assert.ok(v.refused.length / v.normal <= NORMAL_REFUSED_MAX, v.refused.map((c) => `${c.agent}/${c.tool}@${iso(c.tsMs)}`).join(', '));
  for (const agent of ['growing', 'nightly-batch']) assert.deepEqual(v.refused.filter((c) => c.agent === agent), [], `${agent} is not refused tomorrow`);
  assert.deepEqual(v.refused.filter((c) => c.tool === 'export_knowledge'), [], 'the rarely used tool is not refused tomorrow');
  const storm = v.excess.find((e) => e.kind === 'session_close_storm');
  const loop = v.excess.find((e) => e.kind === 'identical_call_loop');
  assert.ok(storm && storm.share >= 0.95, JSON.stringify(v.excess));
  assert.ok(loop && loop.share >= 0.8, JSON.stringify(v.excess));
  // The returned policy learns on all ten days; the in-sample backtest is still reported beside it.
  assert.equal(res.body.backtest.summary.from, iso(w.startMs));
  assert.ok(res.body.policy.grants['nightly-batch'] && res.body.policy.grants.growing, 'the batch and the growing poller get their own limits');
});

test('the forward test sees what the backtest cannot: without headroom, tomorrow\'s growth and bursts are refused', async () => {
  const res = await suggested('holdout=3d&headroom=1');
  assert.equal(res.status, 200);
  const f = res.body.forward_test;
  const spots = f.by_agent_tool.filter((r: any) => r.normal_refused > 0).map((r: any) => `${r.agent}/${r.tool}`);
  assert.ok(spots.length > 0 && spots.every((s: string) => ['growing/task_list', 'nightly-batch/approve_suggestion', 'nightly-batch/correct'].includes(s)), spots.join(', '));
  assert.equal(f.normal.refused, f.by_agent_tool.reduce((n: number, r: any) => n + r.normal_refused, 0));
  assert.ok(f.normal.examples.length > 0 && f.normal.examples.every((e: any) => e.span_id && e.rule && spots.includes(`${e.agent}/${e.tool}`)));
  // In-sample, the same procedure refuses none of those calls: the peaks it replays are the ones it learned.
  for (const spot of spots) {
    const row = res.body.backtest.by_agent_tool.find((r: any) => `${r.agent}/${r.tool}` === spot);
    assert.equal(row.newly_refused, 0, spot);
  }
});

test('holdout: default the last 20 % (at least a day), none, and bad values are 400s naming the field', async () => {
  const def = await suggested('');
  assert.equal(def.body.forward_test.replayed_on.from, iso(w.endMs - 2 * DAY_MS), '20 % of ten days');
  const three = await api<any>(`/api/v1/policy/suggested?from=${iso(w.endMs - 3 * DAY_MS)}&to=${iso(w.endMs)}&backtest=false`);
  assert.equal(three.body.forward_test, null, 'backtest=false skips both replays');
  const short = await api<any>(`/api/v1/policy/suggested?from=${iso(w.endMs - 3 * DAY_MS)}&to=${iso(w.endMs)}`);
  assert.equal(short.body.forward_test.replayed_on.from, iso(w.endMs - DAY_MS), 'at least a day when the range allows');
  assert.equal((await suggested('holdout=none')).body.forward_test, null);
  for (const bad of ['10d', '150%', 'soon', '3']) {
    const res = await suggested(`holdout=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 400, bad);
    assert.match(res.body.error.message, /^holdout: /, bad);
  }
});

/** The real CLI in its own process (an in-process run would share, and swallow, the test reporter's stdout). */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [WARDEN_BIN, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

test('warden suggest --holdout prints the forward test; --json carries it', async () => {
  const text = await run(['suggest', '--api', serve.url, '--since', '10d', '--holdout', '3d']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, /forward test: learned on .* replayed \d+ unseen calls/);
  assert.match(text.stderr, /normal calls refused: \d+ of \d+ \(\d+\.\d\d %\)/);
  assert.match(text.stderr, /runaway excess refused: \d+ of \d+ \(\d+\.\d\d %\)/);
  const json = await run(['suggest', '--api', serve.url, '--since', '10d', '--holdout', '30%', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout);
  assert.ok(body.forward_test.normal.calls > 0 && body.forward_test.policy.default === 'deny');
  const bad = await run(['suggest', '--api', serve.url, '--since', '10d', '--holdout', 'soon']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /holdout/);
});
