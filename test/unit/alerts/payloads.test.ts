import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertmanagerUrl, groupNotifications, parseAlertsText, renderMessage, stepAlerts } from '../../../src/alerts/index.js';

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

test('hostile names: Slack gets them escaped (no mention, link or entity), webhook and Alertmanager get them verbatim as data', () => {
  const r = parseAlertsText(`
targets:
  chat: { type: slack, url: "http://127.0.0.1:1/b" }
  ops: { type: webhook, url: "http://127.0.0.1:1/a" }
  pager: { type: alertmanager, url: "http://127.0.0.1:1" }
rules:
  - { name: writes, when: { calls_per_minute: { above: 1 } }, notify: [chat, ops, pager] }
`);
  assert.ok(r.ok);
  const agent = '<!channel> & <https://evil.example|click> <@U123>';
  const tool = 'drop<!here>&amp;';
  const step = stepAlerts(new Map(), [{ rule: 'writes', agent, tool, value: 5, summary: `${agent} called ${tool}` }], r.value.rules, new Set(['writes']), 0);
  const ctx = { nowMs: 0, generatorUrl: 'http://127.0.0.1:4318/api/v1/alerts' };
  const messages = new Map(groupNotifications(step.notifications, r.value.targets).map((g) => [g.target.type, renderMessage(g, ctx)]));
  const slack = messages.get('slack')?.body as { text: string; blocks: Array<{ text: { text: string } }> };
  for (const text of [slack.text, ...slack.blocks.map((b) => b.text.text)]) {
    assert.doesNotMatch(text, /[<>]/, `no raw < or > in ${text}`);
    assert.doesNotMatch(text, /&(?!amp;|lt;|gt;)/, `every & is an entity in ${text}`);
  }
  assert.ok(slack.text.includes('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;'), slack.text);
  assert.ok(slack.text.includes('drop&lt;!here&gt;&amp;amp;'), slack.text);
  const hook = messages.get('webhook')?.body as { agent: string; alerts: Array<{ agent: string; tool: string }> };
  assert.equal(hook.agent, agent);
  assert.deepEqual([hook.alerts[0]?.agent, hook.alerts[0]?.tool], [agent, tool]);
  const am = messages.get('alertmanager')?.body as Array<{ labels: Record<string, string> }>;
  assert.deepEqual([am[0]?.labels.agent, am[0]?.labels.tool], [agent, tool]);
});
