/**
 * `GET /api/v1/alerts`: the alert loop's current states and the most recent notifications
 * with their delivery results. Targets appear redacted (URL masked, header names only).
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AlertsView, AlertState } from '../../alerts/index.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

const alertSchema = z.object({
  fingerprint: z.string(),
  rule: z.string(),
  agent: z.string(),
  tool: z.string(),
  status: z.enum(['pending', 'firing', 'resolved']),
  severity: z.string(),
  value: z.number(),
  summary: z.string(),
  active_since: z.string(),
  firing_since: z.string().nullable(),
  resolved_at: z.string().nullable(),
  last_notified_at: z.string().nullable(),
  updated_at: z.string(),
});

const notificationSchema = z.object({
  ts: z.string(),
  fingerprint: z.string(),
  rule: z.string(),
  agent: z.string(),
  tool: z.string(),
  status: z.string(),
  repeat: z.boolean(),
  severity: z.string(),
  value: z.number(),
  summary: z.string(),
  labels: z.record(z.string(), z.string()),
  starts_at: z.string(),
  target: z.string(),
  target_type: z.string(),
  target_url: z.string().describe('redacted'),
  delivery: z.string().describe('delivered | failed | dropped'),
  attempts: z.number(),
  http_status: z.number(),
  error: z.string(),
});

const responseSchema = z.object({
  source: z.string().describe('the alerts file, or "defaults"'),
  interval_ms: z.number(),
  last_evaluation: z.object({
    at: z.string(),
    duration_ms: z.number(),
    firing: z.number(),
    pending: z.number(),
    notifications: z.number(),
    failures: z.array(z.object({ rule: z.string(), error: z.string() })),
  }).nullable(),
  alerts: z.array(alertSchema),
  notifications: z.array(notificationSchema),
  rules: z.array(z.object({
    name: z.string(), severity: z.string(), for_ms: z.number(), notify: z.array(z.string()), condition: z.string(), labels: z.record(z.string(), z.string()),
  })),
  targets: z.array(z.object({ name: z.string(), type: z.string(), url: z.string(), headers: z.array(z.string()) })),
});

const querySchema = z.object({
  status: z.enum(['pending', 'firing', 'resolved']).optional().describe('only alerts in this state'),
  agent: z.string().min(1).optional().describe('only this agent\'s alerts and notifications'),
  fingerprint: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('most recent notifications to list'),
});

function alertRow(s: AlertState): z.infer<typeof alertSchema> {
  return {
    fingerprint: s.fingerprint, rule: s.rule, agent: s.agent, tool: s.tool, status: s.status, severity: s.severity,
    value: s.value, summary: s.summary, active_since: new Date(s.activeSinceMs).toISOString(), firing_since: iso(s.firingSinceMs),
    resolved_at: iso(s.resolvedAtMs), last_notified_at: iso(s.lastNotifiedMs), updated_at: new Date(s.updatedMs).toISOString(),
  };
}

export function alertsRoutes(view: AlertsView): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get('/api/v1/alerts', {
      schema: {
        summary: 'Current alert states and recent notifications',
        tags: ['alerts'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    }, async (request) => {
      const q = request.query;
      const snap = view.snapshot();
      const alerts = snap.alerts.filter((a) => (!q.status || a.status === q.status) && (!q.agent || a.agent === q.agent) && (!q.fingerprint || a.fingerprint === q.fingerprint));
      const notifications = await view.recentNotifications({ limit: q.limit, agent: q.agent, fingerprint: q.fingerprint });
      const last = snap.last_evaluation;
      return {
        source: snap.source,
        interval_ms: snap.interval_ms,
        last_evaluation: last ? { at: new Date(last.atMs).toISOString(), duration_ms: last.durationMs, firing: last.firing, pending: last.pending, notifications: last.notifications, failures: last.failures } : null,
        alerts: alerts.map(alertRow),
        notifications,
        rules: snap.rules,
        targets: snap.targets,
      };
    });
  };
}
