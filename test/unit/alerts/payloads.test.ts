import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertmanagerUrl, groupNotifications, parseAlertsText, stepAlerts } from '../../../src/alerts/index.js';

test('notifications are grouped per target, agent and status: one message per agent', () => {
  const r = parseAlertsText(`
targets: { ops: { type: webhook, url: "http://127.0.0.1:1/a" }, chat: { type: slack, url: "http://127.0.0.1:1/b" } }
rules:
  - { name: writes, when: { calls_per_minute: { above: 1 } }, notify: [ops, chat] }
  - { name: audit, when: { would_deny_per_minute: { above: 1 } }, notify: [ops] }
`);
  assert.ok(r.ok);
  const obs = (rule: string, agent: string) => ({ rule, agent, tool: '', value: 5, summary: 's' });
  const step = stepAlerts(new Map(), [obs('writes', 'a1'), obs('audit', 'a1'), obs('writes', 'a2')], r.value.rules, new Set(['writes', 'audit']), 0);
  const groups = groupNotifications(step.notifications, r.value.targets).map((g) => `${g.target.name} ${g.agent} ${g.status} ${g.notifications.map((n) => n.rule.name).join('+')}`);
  assert.deepEqual(groups.sort(), ['chat a1 firing writes', 'chat a2 firing writes', 'ops a1 firing writes+audit', 'ops a2 firing writes']);
});

test('the Alertmanager target accepts the base URL or the full API path', () => {
  assert.equal(alertmanagerUrl('http://alertmanager:9093'), 'http://alertmanager:9093/api/v2/alerts');
  assert.equal(alertmanagerUrl('http://alertmanager:9093/'), 'http://alertmanager:9093/api/v2/alerts');
  assert.equal(alertmanagerUrl('http://am/prefix/api/v2/alerts'), 'http://am/prefix/api/v2/alerts');
});
