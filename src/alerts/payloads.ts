/**
 * What each kind of receiver gets for one group of notifications (one agent, one status):
 * generic JSON webhook (Alertmanager-webhook-like), Slack incoming webhook `{text, blocks}`,
 * and Alertmanager's `POST /api/v2/alerts` (an array of postable alerts).
 */
import { ruleLabels } from './definitions.js';
import type { Notification } from './state.js';
import type { AlertTarget } from './types.js';

/** Notifications for one target, one agent and one status, sent as one message. */
export interface NotificationGroup {
  target: AlertTarget;
  agent: string;
  status: 'firing' | 'resolved';
  notifications: Notification[];
}

export interface HttpMessage {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface PayloadContext {
  nowMs: number;
  /** Link back to Warden's alert list, e.g. http://127.0.0.1:4318/api/v1/alerts. */
  generatorUrl: string;
}

/** Groups notifications per target and agent and status, in the order they were produced. */
export function groupNotifications(notifications: readonly Notification[], targets: readonly AlertTarget[]): NotificationGroup[] {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const groups = new Map<string, NotificationGroup>();
  for (const n of notifications) {
    for (const name of n.rule.notify) {
      const target = byName.get(name);
      if (!target) continue;
      const key = `${name}\u0000${n.alert.agent}\u0000${n.status}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { target, agent: n.alert.agent, status: n.status, notifications: [] }));
      group.notifications.push(n);
    }
  }
  return [...groups.values()];
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export function alertLabels(n: Notification): Record<string, string> {
  return { ...ruleLabels(n.rule), agent: n.alert.agent, ...(n.alert.tool ? { tool: n.alert.tool } : {}) };
}

function alertTitle(n: Notification): string {
  return `${n.rule.name} (${n.alert.severity}) agent ${n.alert.agent}${n.alert.tool ? `, tool ${n.alert.tool}` : ''}`;
}

export function renderMessage(group: NotificationGroup, ctx: PayloadContext): HttpMessage {
  switch (group.target.type) {
    case 'slack':
      return { url: group.target.url, headers: {}, body: slackBody(group) };
    case 'alertmanager':
      return { url: alertmanagerUrl(group.target.url), headers: group.target.headers, body: alertmanagerBody(group, ctx) };
    default:
      return { url: group.target.url, headers: group.target.headers, body: webhookBody(group, ctx) };
  }
}

function webhookBody(group: NotificationGroup, ctx: PayloadContext): unknown {
  return {
    version: '1',
    source: 'warden',
    status: group.status,
    group_key: `agent=${group.agent}`,
    agent: group.agent,
    generator_url: ctx.generatorUrl,
    alerts: group.notifications.map((n) => ({
      fingerprint: n.alert.fingerprint,
      status: n.status,
      repeat: n.repeat,
      rule: n.rule.name,
      agent: n.alert.agent,
      tool: n.alert.tool || undefined,
      severity: n.alert.severity,
      value: n.alert.value,
      summary: n.alert.summary,
      description: n.rule.description,
      labels: alertLabels(n),
      starts_at: iso(n.alert.firingSinceMs ?? n.alert.activeSinceMs),
      ends_at: iso(n.alert.resolvedAtMs),
    })),
  };
}

/**
 * Slack reads `<…>` as links and mentions (`<!channel>`, `<@U…>`) and `&` as an entity, in
 * `text` and in mrkdwn blocks alike; these three are the escapes Slack defines. Agent and tool
 * names, summaries and rule names are data, so everything interpolated goes through here.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackBody(group: NotificationGroup): unknown {
  const icon = group.status === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const head = `${icon} [${group.status.toUpperCase()}:${group.notifications.length}] Warden: agent ${escapeSlackText(group.agent)}`;
  const lines = group.notifications.map(
    (n) => `• *${escapeSlackText(alertTitle(n))}*: ${escapeSlackText(n.alert.summary)}${n.repeat ? ' (still firing)' : ''}`,
  );
  return {
    text: `${head}\n${lines.join('\n')}`,
    ...(group.target.channel ? { channel: group.target.channel } : {}),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...lines.map((line) => ({ type: 'section', text: { type: 'mrkdwn', text: line } })),
    ],
  };
}

/** Accepts the Alertmanager base URL (as in its docs) or the full API path. */
export function alertmanagerUrl(base: string): string {
  if (/\/api\/v2\/alerts\/?$/.test(base)) return base;
  return `${base.replace(/\/+$/, '')}/api/v2/alerts`;
}

function alertmanagerBody(group: NotificationGroup, ctx: PayloadContext): unknown {
  return group.notifications.map((n) => ({
    labels: alertLabels(n),
    annotations: { summary: n.alert.summary, ...(n.rule.description ? { description: n.rule.description } : {}) },
    startsAt: iso(n.alert.firingSinceMs ?? n.alert.activeSinceMs),
    // Alertmanager resolves an alert at endsAt. Warden re-posts a firing alert only after
    // repeat_interval, so a firing alert's endsAt lies past the next re-post.
    endsAt: n.status === 'resolved' ? iso(n.alert.resolvedAtMs ?? ctx.nowMs) : iso(ctx.nowMs + n.rule.repeatIntervalMs + 5 * 60_000),
    generatorURL: `${ctx.generatorUrl}?fingerprint=${n.alert.fingerprint}`,
  }));
}
