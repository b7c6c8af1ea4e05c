import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintOf, parseAlertsText, stepAlerts, type AlertRule, type AlertState, type Observation } from '../../../src/alerts/index.js';

function rules(yaml: string): AlertRule[] {
  const r = parseAlertsText(yaml);
  assert.ok(r.ok);
  return r.value.rules;
}

const RULES = rules(`
repeat_interval: 10m
rules:
  - { name: now, when: { calls_per_minute: { above: 5 } } }
  - { name: slow, when: { calls_per_minute: { above: 5 } }, for: 30s }
`);

/** Runs ticks like the loop does, keeping the state map. */
function machine() {
  const states = new Map<string, AlertState>();
  return {
    states,
    tick(nowMs: number, obs: Observation[], evaluated = new Set(RULES.map((r) => r.name))) {
      const step = stepAlerts(states, obs, RULES, evaluated, nowMs);
      for (const s of step.changed) states.set(s.fingerprint, s);
      for (const s of step.dropped) states.delete(s.fingerprint);
      return step.notifications.map((n) => `${n.status}${n.repeat ? '(repeat)' : ''}:${n.rule.name}:${n.alert.agent}`);
    },
  };
}
const obs = (rule: string, agent = 'a1', value = 10): Observation => ({ rule, agent, tool: '', value, summary: `${value}` });

test('for: 0 fires on the first evaluation, stays quiet while firing, resolves once when the condition clears', () => {
  const m = machine();
  assert.deepEqual(m.tick(0, [obs('now')]), ['firing:now:a1']);
  assert.deepEqual(m.tick(15_000, [obs('now', 'a1', 12)]), []);
  assert.equal(m.states.get(fingerprintOf('now', 'a1', ''))?.value, 12);
  assert.deepEqual(m.tick(30_000, []), ['resolved:now:a1']);
  assert.deepEqual(m.tick(45_000, []), []);
  const s = m.states.get(fingerprintOf('now', 'a1', ''));
  assert.equal(s?.status, 'resolved');
  assert.equal(s?.resolvedAtMs, 30_000);
  // It comes back: a new firing, counted from now.
  assert.deepEqual(m.tick(60_000, [obs('now')]), ['firing:now:a1']);
  assert.equal(m.states.get(fingerprintOf('now', 'a1', ''))?.firingSinceMs, 60_000);
});

test('for: 30s waits in pending; clearing while pending is silent', () => {
  const m = machine();
  assert.deepEqual(m.tick(0, [obs('slow')]), []);
  assert.equal(m.states.get(fingerprintOf('slow', 'a1', ''))?.status, 'pending');
  assert.deepEqual(m.tick(15_000, [obs('slow')]), []);
  assert.deepEqual(m.tick(20_000, []), []);
  assert.equal(m.states.size, 0);
  assert.deepEqual(m.tick(30_000, [obs('slow')]), []);
  assert.deepEqual(m.tick(59_999, [obs('slow')]), []);
  assert.deepEqual(m.tick(60_000, [obs('slow')]), ['firing:slow:a1']);
});

test('a firing alert is repeated only after repeat_interval', () => {
  const m = machine();
  assert.deepEqual(m.tick(0, [obs('now')]), ['firing:now:a1']);
  assert.deepEqual(m.tick(599_999, [obs('now')]), []);
  assert.deepEqual(m.tick(600_000, [obs('now')]), ['firing(repeat):now:a1']);
  assert.deepEqual(m.tick(900_000, [obs('now')]), []);
  assert.deepEqual(m.tick(1_200_000, [obs('now')]), ['firing(repeat):now:a1']);
});

test('fingerprints separate rule, agent and tool; a failed evaluation does not resolve', () => {
  const m = machine();
  assert.deepEqual(m.tick(0, [obs('now', 'a1'), obs('now', 'a2')]).sort(), ['firing:now:a1', 'firing:now:a2']);
  assert.notEqual(fingerprintOf('now', 'a1', ''), fingerprintOf('now', 'a1', 'x'));
  assert.notEqual(fingerprintOf('now', 'a1', ''), fingerprintOf('slow', 'a1', ''));
  // The rule's query failed: nothing is known, nothing resolves.
  assert.deepEqual(m.tick(15_000, [], new Set(['slow'])), []);
  assert.equal(m.states.get(fingerprintOf('now', 'a1', ''))?.status, 'firing');
  assert.deepEqual(m.tick(30_000, [obs('now', 'a2')]), ['resolved:now:a1']);
});

test('a firing alert whose rule was removed is resolved without a notification', () => {
  const states = new Map<string, AlertState>();
  const first = stepAlerts(states, [obs('now')], RULES, new Set(['now']), 0);
  for (const s of first.changed) states.set(s.fingerprint, s);
  const later = stepAlerts(states, [], RULES.filter((r) => r.name !== 'now'), new Set(['slow']), 1000);
  assert.equal(later.notifications.length, 0);
  assert.equal(later.changed[0]?.status, 'resolved');
});
