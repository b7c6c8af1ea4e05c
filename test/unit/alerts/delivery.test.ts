import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/core/index.js';
import {
  TargetQueue, fingerprintOf, parseAlertsText, stepAlerts, groupNotifications,
  type AlertConfig, type AlertTarget, type DeliveryOutcome, type DeliveryOptions, type NotificationGroup,
} from '../../../src/alerts/index.js';
import { deadPort, startReceiver } from '../../helpers/webhook-receivers.js';
import { eventually } from '../../helpers/eventually.js';

const FAST: DeliveryOptions = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 1_000, timeoutMs: 1_000, maxQueue: 10 };

function config(targets: Record<string, string>): AlertConfig {
  const t = Object.entries(targets).map(([name, spec]) => `  ${name}: ${spec}`).join('\n');
  const r = parseAlertsText(`targets:\n${t}\nrules:\n  - { name: runaway, when: { calls_per_minute: { above: 1 } }, severity: critical, labels: { team: ops }, notify: [${Object.keys(targets).join(', ')}] }\n`);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error));
  return r.value;
}

function groups(cfg: AlertConfig, nowMs = Date.parse('2026-11-25T10:00:00Z')): NotificationGroup[] {
  const step = stepAlerts(new Map(), [{ rule: 'runaway', agent: 'nightly-batch', tool: '', value: 74, summary: '74 calls in the last 60 s' }], cfg.rules, new Set(['runaway']), nowMs);
  return groupNotifications(step.notifications, cfg.targets);
}

function queue(target: AlertTarget, opts: DeliveryOptions, outcomes: DeliveryOutcome[], logs: string[] = []) {
  return new TargetQueue(target, opts, {
    logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    onOutcome: (o) => void outcomes.push(o),
    context: () => ({ nowMs: Date.parse('2026-11-25T10:00:00Z'), generatorUrl: 'http://127.0.0.1:4318/api/v1/alerts' }),
    nowMs: () => Date.now(),
  });
}

test('each receiver type gets its own payload shape', async () => {
  const hook = await startReceiver();
  const slack = await startReceiver();
  const am = await startReceiver();
  try {
    const cfg = config({
      ops: `{ type: webhook, url: "${hook.url}/hook", headers: { Authorization: "Bearer ops-token-123456" } }`,
      chat: `{ type: slack, url: "${slack.url}/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", channel: "#alerts" }`,
      pager: `{ type: alertmanager, url: "${am.url}" }`,
    });
    const outcomes: DeliveryOutcome[] = [];
    for (const g of groups(cfg)) queue(g.target, FAST, outcomes).enqueue(g);
    await eventually('three deliveries', () => outcomes.length === 3, { timeoutMs: 5_000 });
    assert.deepEqual(outcomes.map((o) => o.result), ['delivered', 'delivered', 'delivered']);

    const w = hook.received[0];
    assert.equal(w?.path, '/hook');
    assert.equal(w?.headers.authorization, 'Bearer ops-token-123456');
    assert.equal(w?.headers['content-type'], 'application/json');
    const body = w?.body as { status: string; agent: string; alerts: Array<Record<string, unknown>> };
    assert.equal(body.status, 'firing');
    assert.equal(body.agent, 'nightly-batch');
    assert.equal(body.alerts.length, 1);
    assert.deepEqual(body.alerts[0]?.labels, { team: 'ops', alertname: 'runaway', severity: 'critical', source: 'warden', agent: 'nightly-batch' });
    assert.equal(body.alerts[0]?.fingerprint, fingerprintOf('runaway', 'nightly-batch', ''));
    assert.equal(body.alerts[0]?.starts_at, '2026-11-25T10:00:00.000Z');

    const s = slack.received[0]?.body as { text: string; channel: string; blocks: unknown[] };
    assert.equal(slack.received[0]?.path, '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX');
    assert.match(s.text, /^:rotating_light: \[FIRING:1\] Warden: agent nightly-batch\n• \*runaway \(critical\) agent nightly-batch\*: 74 calls in the last 60 s$/);
    assert.equal(s.channel, '#alerts');
    assert.equal(s.blocks.length, 2);

    assert.equal(am.received[0]?.path, '/api/v2/alerts');
    const alerts = am.received[0]?.body as Array<Record<string, unknown>>;
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]?.labels, { team: 'ops', alertname: 'runaway', severity: 'critical', source: 'warden', agent: 'nightly-batch' });
    assert.deepEqual(alerts[0]?.annotations, { summary: '74 calls in the last 60 s' });
    assert.equal(alerts[0]?.startsAt, '2026-11-25T10:00:00.000Z');
    assert.ok(Date.parse(alerts[0]?.endsAt as string) > Date.parse('2026-11-25T14:00:00Z'), 'a firing alert ends after the next re-post');
    assert.equal(alerts[0]?.generatorURL, `http://127.0.0.1:4318/api/v1/alerts?fingerprint=${fingerprintOf('runaway', 'nightly-batch', '')}`);
  } finally {
    await Promise.all([hook.close(), slack.close(), am.close()]);
  }
});

test('a failing receiver is retried with growing backoff until it answers', async () => {
  let calls = 0;
  const flaky = await startReceiver(() => (++calls <= 2 ? 503 : 200));
  try {
    const cfg = config({ ops: `{ type: webhook, url: "${flaky.url}/hook" }` });
    const outcomes: DeliveryOutcome[] = [];
    const [g] = groups(cfg);
    assert.ok(g);
    queue(g.target, { ...FAST, initialBackoffMs: 200 }, outcomes).enqueue(g);
    await eventually('delivery', () => outcomes.length === 1, { timeoutMs: 5_000 });
    assert.equal(outcomes[0]?.result, 'delivered');
    assert.equal(outcomes[0]?.attempts, 3);
    assert.equal(flaky.received.length, 3);
    const [a, b, c] = flaky.received.map((r) => r.atMs);
    const gap1 = (b as number) - (a as number);
    const gap2 = (c as number) - (b as number);
    assert.ok(gap1 >= 100 && gap1 < 2_000, `first backoff ${gap1} ms within [100, 200] + slack`);
    assert.ok(gap2 >= 200 && gap2 < 3_000, `second backoff ${gap2} ms within [200, 400] + slack`);
  } finally {
    await flaky.close();
  }
});

test('a dead receiver is retried up to the bound, never stalls another receiver, and its secrets stay out of errors and logs', async () => {
  const healthy = await startReceiver();
  const port = await deadPort();
  try {
    const secretPath = 'SecretPathToken123456789';
    const cfg = config({
      dead: `{ type: webhook, url: "http://127.0.0.1:${port}/hook/${secretPath}?sig=QWERTY987654", headers: { Authorization: "Bearer dead-token-abcdef" } }`,
      ops: `{ type: webhook, url: "${healthy.url}/hook" }`,
    });
    const outcomes: DeliveryOutcome[] = [];
    const logs: string[] = [];
    const started = Date.now();
    const queues = groups(cfg).map((g) => {
      const q = queue(g.target, { ...FAST, initialBackoffMs: 150 }, outcomes, logs);
      q.enqueue(g);
      return q;
    });
    await eventually('the healthy receiver', () => healthy.received.length === 1, { timeoutMs: 2_000 });
    assert.ok(Date.now() - started < 1_000, 'the healthy receiver got its message while the dead one was still being retried');
    await eventually('both outcomes', () => outcomes.length === 2, { timeoutMs: 10_000 });
    const dead = outcomes.find((o) => o.group.target.name === 'dead');
    assert.equal(dead?.result, 'failed');
    assert.equal(dead?.attempts, FAST.maxAttempts);
    assert.match(dead?.error ?? '', /ECONNREFUSED|fetch failed/);
    // Three backoffs of at least 75, 150, 300 ms (half of 150·2^k).
    assert.ok(Date.now() - started >= 525, 'backed off between attempts');
    const text = JSON.stringify(outcomes.map((o) => o.error)) + logs.join('\n');
    for (const secret of [secretPath, 'QWERTY987654', 'dead-token-abcdef']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.ok(logs.some((l) => l.includes('alert notification failed') && l.includes(`http://127.0.0.1:${port}/hook/***?sig=***`)), logs.join('\n'));
    await Promise.all(queues.map((q) => q.close(100)));
  } finally {
    await healthy.close();
  }
});

test('a 4xx answer is not retried; a full queue drops the oldest and says so', async () => {
  const refusing = await startReceiver(() => 400);
  const port = await deadPort();
  try {
    const cfg = config({ ops: `{ type: webhook, url: "${refusing.url}/hook" }` });
    const outcomes: DeliveryOutcome[] = [];
    const [g] = groups(cfg);
    assert.ok(g);
    queue(g.target, FAST, outcomes).enqueue(g);
    await eventually('delivery', () => outcomes.length === 1, { timeoutMs: 3_000 });
    assert.deepEqual([outcomes[0]?.result, outcomes[0]?.attempts, outcomes[0]?.httpStatus, outcomes[0]?.error], ['failed', 1, 400, 'HTTP 400']);

    const deadCfg = config({ ops: `{ type: webhook, url: "http://127.0.0.1:${port}/hook" }` });
    const dropped: DeliveryOutcome[] = [];
    const [dg] = groups(deadCfg);
    assert.ok(dg);
    const q = queue(dg.target, { ...FAST, maxQueue: 1, initialBackoffMs: 1_000 }, dropped);
    q.enqueue(dg); // being delivered
    q.enqueue(dg); // waiting
    q.enqueue(dg); // pushes the waiting one out
    await eventually('a drop', () => dropped.length === 1, { timeoutMs: 1_000 });
    assert.equal(dropped[0]?.result, 'dropped');
    assert.match(dropped[0]?.error ?? '', /queue for target ops is full \(1\)/);
    await q.close(50);
    assert.equal(dropped.length, 3, 'close() finishes the rest and records them');
  } finally {
    await refusing.close();
  }
});
