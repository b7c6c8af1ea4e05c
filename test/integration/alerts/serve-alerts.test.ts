import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWardenError } from '../../../src/core/index.js';
import { deadPort, startReceiver, type Receiver } from '../../helpers/webhook-receivers.js';
import { newDatabase, proxyTelemetry, recordCall, startWarden, traffic, writeTemp, type ServeHandle } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

const OPS_TOKEN = 'ops-Secret-Token-0123456789';
const SLACK_SECRET = 'SlackHookSecret0123456789abcdef';
const DEAD_SECRET = 'DeadSig987654321xyz';

interface Body { status?: string; alerts?: unknown[]; text?: string }
const statuses = (r: Receiver): string[] => r.received.map((m) => {
  const b = m.body as Body | Body[];
  if (Array.isArray(b)) return (b[0] as { endsAt: string }).endsAt && Date.parse((b[0] as { endsAt: string }).endsAt) <= Date.now() ? 'resolved' : 'firing';
  return b.status ?? (b.text?.includes('[FIRING') ? 'firing' : 'resolved');
});

async function getAlerts(h: ServeHandle, query = ''): Promise<{ text: string; json: Record<string, any> }> {
  const res = await fetch(`${h.serve.url}/api/v1/alerts${query}`);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, json: JSON.parse(text) as Record<string, any> };
}

test('a runaway agent sent through OTLP fires once per receiver, survives restarts without re-sending, resolves once', async () => {
  const hook = await startReceiver();
  const slack = await startReceiver();
  const am = await startReceiver();
  const dead = await deadPort();
  process.env.WARDEN_IT_OPS_TOKEN = OPS_TOKEN;
  const file = writeTemp('alerts.yaml', `
repeat_interval: 1h
delivery: { max_attempts: 3, initial_backoff: 100ms, timeout: 1s }
targets:
  ops:   { type: webhook, url: "${hook.url}/hook", headers: { Authorization: "Bearer \${WARDEN_IT_OPS_TOKEN}" } }
  chat:  { type: slack, url: "${slack.url}/services/T0001/B0002/${SLACK_SECRET}" }
  pager: { type: alertmanager, url: "${am.url}" }
  down:  { type: webhook, url: "http://127.0.0.1:${dead}/hook?sig=${DEAD_SECRET}" }
rules:
  - name: runaway-writes
    # 5 s: longer than a restart takes on a loaded machine, so the window never empties meanwhile.
    when: { calls_per_minute: { above: 120, window: 5s }, risk: [write, execute, destructive] }
    severity: critical
    labels: { team: memory }
    notify: [ops, chat, pager, down]
`);
  const database = newDatabase();
  const logs: string[] = [];
  let h = await startWarden({ alertsFile: file, database, interval: '200ms' }, logs);
  const listen = h.serve.url.replace('http://', '');
  const recorder = proxyTelemetry(`${h.serve.url}/v1/traces`);
  const runaway = traffic(recorder, { agent: 'nightly-batch', tool: 'session_close', risk: 'write', session: 's1' }, 20);
  // 60/min, half the threshold: never alerts.
  const calm = traffic(recorder, { agent: 'interactive', tool: 'session_close', risk: 'write', session: 's2' }, 1_000);
  try {
    await eventually('firing on every receiver', () => hook.received.length > 0 && slack.received.length > 0 && am.received.length > 0, { timeoutMs: 15_000 });
    const firedAfterMs = (hook.received[0]?.atMs ?? 0) - (runaway.firstAtMs() ?? 0);
    assert.ok(firedAfterMs < 5_000, `fired ${firedAfterMs} ms after the first runaway call`);

    const w = hook.received[0];
    assert.equal(w?.headers.authorization, `Bearer ${OPS_TOKEN}`);
    const wb = w?.body as { status: string; agent: string; alerts: Array<{ rule: string; agent: string; labels: Record<string, string> }> };
    assert.equal(wb.status, 'firing');
    assert.equal(wb.agent, 'nightly-batch');
    assert.deepEqual(wb.alerts.map((a) => [a.rule, a.agent, a.labels.team]), [['runaway-writes', 'nightly-batch', 'memory']]);
    assert.equal(am.received[0]?.path, '/api/v2/alerts');
    assert.match((slack.received[0]?.body as Body).text ?? '', /\[FIRING:1\] Warden: agent nightly-batch/);

    // Restart while the agent keeps running: nothing is sent again.
    await h.serve.close();
    h = await startWarden({ alertsFile: file, database, interval: '200ms', listen }, logs);
    assert.ok(h.serve.url.endsWith(listen));
    // The restarted loop reports the alert from its saved state once its first evaluation is in
    // (a fixed sleep raced that on a loaded machine).
    let during = await getAlerts(h, '?status=firing');
    await eventually('the firing alert reported after the restart', async () => (during = await getAlerts(h, '?status=firing')).json.alerts.length > 0, { timeoutMs: 15_000 });
    assert.equal(during.json.alerts.length, 1, during.text);
    assert.equal(during.json.alerts[0].agent, 'nightly-batch');
    assert.ok(Date.parse(during.json.alerts[0].firing_since) <= (hook.received[0]?.atMs ?? 0), 'firing since before the restart');
    await new Promise((r) => setTimeout(r, 500)); // a re-sent notification would be on its way by now
    assert.deepEqual([statuses(hook), statuses(slack), statuses(am)], [['firing'], ['firing'], ['firing']]);

    // The agent stops: exactly one resolved per receiver.
    runaway.stop();
    await eventually('resolved on every receiver', () => hook.received.length >= 2 && slack.received.length >= 2 && am.received.length >= 2, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual([statuses(hook), statuses(slack), statuses(am)], [['firing', 'resolved'], ['firing', 'resolved'], ['firing', 'resolved']]);
    const amResolved = (am.received[1]?.body as Array<{ endsAt: string; labels: Record<string, string> }>)[0];
    assert.equal(amResolved?.labels.agent, 'nightly-batch');

    // A second restart after resolution: still nothing new.
    await h.serve.close();
    h = await startWarden({ alertsFile: file, database, interval: '200ms', listen }, logs);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual([hook.received.length, slack.received.length, am.received.length], [2, 2, 2]);

    // The API: states, every delivery result, and no secret anywhere.
    await eventually('the dead target to give up on the resolved message', () => logs.some((l) => l.includes('alert notification failed') && l.includes('status=resolved')), { timeoutMs: 5_000 });
    const api = await getAlerts(h);
    assert.equal(api.json.alerts.find((a: any) => a.agent === 'nightly-batch')?.status, 'resolved');
    assert.ok(!api.json.alerts.some((a: any) => a.agent === 'interactive'), 'the calm agent never alerted');
    const rows = (api.json.notifications as Array<Record<string, any>>).map((n) => `${n.target} ${n.status} ${n.delivery} ${n.attempts}`).sort();
    assert.deepEqual(rows, [
      'chat firing delivered 1', 'chat resolved delivered 1',
      'down firing failed 3', 'down resolved failed 3',
      'ops firing delivered 1', 'ops resolved delivered 1',
      'pager firing delivered 1', 'pager resolved delivered 1',
    ]);
    assert.deepEqual(api.json.targets.map((t: any) => [t.name, t.url, t.headers]), [
      ['ops', `${hook.url}/hook`, ['Authorization']],
      ['chat', `${slack.url}/services/T0001/B0002/***`, []],
      ['pager', am.url, []],
      ['down', `http://127.0.0.1:${dead}/hook?sig=***`, []],
    ]);
    const everything = api.text + logs.join('\n');
    for (const secret of [OPS_TOKEN, SLACK_SECRET, DEAD_SECRET]) assert.ok(!everything.includes(secret), `secret ${secret} leaked`);
    assert.ok(logs.some((l) => l.includes('alert firing') && l.includes('nightly-batch')), 'the firing is logged');
  } finally {
    runaway.stop();
    calm.stop();
    await recorder.shutdown();
    await h.serve.close();
    await Promise.all([hook.close(), slack.close(), am.close()]);
  }
});

test('an anomaly rule fires from the analytics detectors (session_close over and over in one session)', async () => {
  const hook = await startReceiver();
  const file = writeTemp('alerts.yaml', `
targets: { ops: { type: webhook, url: "${hook.url}/hook" } }
rules:
  - name: lifecycle
    when: { anomaly: [lifecycle_violation], severity_at_least: high, within: 3s }
    notify: [ops]
`);
  const h = await startWarden({ alertsFile: file, database: newDatabase(), interval: '200ms' });
  const recorder = proxyTelemetry(`${h.serve.url}/v1/traces`);
  try {
    for (let i = 0; i < 12; i += 1) recordCall(recorder, { agent: 'looper', tool: 'session_close', risk: 'write', session: 'sess-1' });
    await recorder.forceFlush();
    await eventually('the anomaly alert', () => hook.received.length >= 1, { timeoutMs: 15_000 });
    const body = hook.received[0]?.body as { status: string; alerts: Array<{ rule: string; agent: string; summary: string; severity: string }> };
    assert.equal(body.status, 'firing');
    assert.equal(body.alerts[0]?.rule, 'lifecycle');
    assert.equal(body.alerts[0]?.agent, 'looper');
    assert.match(body.alerts[0]?.summary ?? '', /lifecycle_violation; worst critical\): looper called session_close more than once in 1 session\(s\), 11 extra call\(s\), up to 12 in one session/);
    await eventually('resolution once the anomaly is older than 3 s', () => hook.received.length >= 2, { timeoutMs: 15_000 });
    assert.equal((hook.received[1]?.body as { status: string }).status, 'resolved');

    // The route validates its query and is in the OpenAPI document.
    const bad = await fetch(`${h.serve.url}/api/v1/alerts?limit=0`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'WARDEN_BAD_REQUEST');
    const filtered = await fetch(`${h.serve.url}/api/v1/alerts?agent=looper&limit=1`);
    const fj = (await filtered.json()) as { alerts: unknown[]; notifications: Array<{ status: string }> };
    assert.equal(fj.alerts.length, 1);
    assert.deepEqual(fj.notifications.map((n) => n.status), ['resolved']);
    const openapi = (await (await fetch(`${h.serve.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(openapi.paths['/api/v1/alerts'], 'documented in /openapi.json');
  } finally {
    await recorder.shutdown();
    await h.serve.close();
    await hook.close();
  }
});

test('an invalid alerts file is refused with path: message, before the store is opened', async () => {
  const bad = writeTemp('alerts.yaml', `
targets: { ops: { type: webhook, url: "http://127.0.0.1:1/x" } }
rules:
  - name: r
    when: { calls_per_minute: { above: "many" } }
    notify: [opz]
`);
  await assert.rejects(startWarden({ alertsFile: bad, database: newDatabase(), interval: '200ms' }), (e: unknown) => {
    assert.ok(isWardenError(e, 'WARDEN_ALERTS_INVALID'));
    assert.equal(e.message, `invalid alerts file ${bad}:\nrules[0].when.calls_per_minute.above: expected number, got the string "many"\nrules[0].notify[0]: unknown target "opz" (targets: ops)`);
    return true;
  });
  // The command says the same, one problem a line, and exits 1 without creating the store.
  const store = join(mkdtempSync(join(tmpdir(), 'warden-alerts-cli-')), 'data');
  try {
    const run = spawnSync(process.execPath, ['src/cli/bin.js', 'serve', '--alerts', bad, '--store', store, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr, `warden: invalid alerts file ${bad}:\nrules[0].when.calls_per_minute.above: expected number, got the string "many"\nrules[0].notify[0]: unknown target "opz" (targets: ops)\nhint: fix the lines above; without --alerts the default rules apply\n`);
    assert.ok(!existsSync(store));
  } finally {
    rmSync(join(store, '..'), { recursive: true, force: true });
  }
});
