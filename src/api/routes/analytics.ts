/**
 * `/api/v1/agents`, `/api/v1/rates`, `/api/v1/rates/series`, `/api/v1/anomalies`.
 * Every parameter is checked by zod; time ranges by parseTimeRange (400 naming the field).
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ANOMALY_TYPES, DEFAULT_ANOMALY_LIMIT, MAX_ANOMALY_LIMIT, MAX_WINDOW_S, SEVERITIES, computeRates, computeSeries, listAgents, listAnomalies, parseTimeRange,
  type AnalyticsContext,
} from '../../analytics/index.js';

export const rangeQuery = {
  from: z.string().min(1).optional().describe('ISO-8601, epoch ms, "now" or relative like -24h (default: to − 24h)'),
  to: z.string().min(1).optional().describe('ISO-8601, epoch ms, "now" or relative (default: now)'),
};
const filterQuery = {
  agent: z.string().min(1).max(256).optional().describe('only this agent (400 when never seen)'),
  tool: z.string().min(1).max(256).optional().describe('only this tool'),
};

const agentSchema = z.object({
  agent: z.string(), calls: z.number(), denied: z.number(), would_deny: z.number(), tools: z.number(),
  first_seen: z.string(), last_seen: z.string(), peak_per_minute: z.number(),
});
const rateSchema = z.object({
  agent: z.string(), tool: z.string(), calls: z.number(), mean_per_window: z.number(),
  p50: z.number(), p95: z.number(), p99: z.number(), max_per_window: z.number(), window_s: z.number(),
});
const seriesSchema = z.object({
  step_s: z.number(),
  from: z.string(),
  to: z.string(),
  series: z.array(z.object({
    agent: z.string(), tool: z.string(),
    points: z.array(z.object({ t: z.string(), calls: z.number(), by_decision: z.record(z.string(), z.number()) })),
  })),
});
const anomalySchema = z.object({
  id: z.string(), type: z.enum(ANOMALY_TYPES), severity: z.enum(SEVERITIES), agent: z.string(), tool: z.string(),
  session: z.string().optional(), sessions: z.number().optional(), sample_sessions: z.array(z.string()).optional(), start: z.string(), end: z.string(), observed: z.number(), baseline: z.number(),
  threshold: z.number(), method: z.string(), explanation: z.string(), calls: z.number(), sample_span_ids: z.array(z.string()),
});

const typeList = z
  .string()
  .optional()
  .describe(`comma-separated anomaly types (${ANOMALY_TYPES.join(', ')}); default all`)
  .transform((text, ctx) => {
    if (text === undefined || text === '') return undefined;
    const types = text.split(',').map((t) => t.trim());
    const bad = types.filter((t) => !(ANOMALY_TYPES as readonly string[]).includes(t));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown anomaly type(s) ${bad.join(', ')}; known: ${ANOMALY_TYPES.join(', ')}` });
      return z.NEVER;
    }
    return types as Array<(typeof ANOMALY_TYPES)[number]>;
  });

export function analyticsRoutes(ctx: AnalyticsContext): FastifyPluginAsync {
  const range = (q: { from?: string | undefined; to?: string | undefined }) => parseTimeRange(q, ctx.clock.nowMs());
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get('/api/v1/agents', {
      schema: { summary: 'Agents seen in the range', tags: ['analytics'], querystring: z.object(rangeQuery), response: { 200: z.object({ agents: z.array(agentSchema) }) } },
    }, async (req) => ({ agents: await listAgents(ctx, range(req.query)) }));

    app.get('/api/v1/rates', {
      schema: {
        summary: 'Per agent+tool rates over rolling windows (the limits\' definition)',
        description: 'For each call, its rolling count is the number of calls of the same agent and tool in (t − window, t] (ms resolution). p50/p95/p99 are nearest-rank quantiles over those per-call counts; max_per_window is their maximum; mean_per_window = calls × window / range.',
        tags: ['analytics'],
        querystring: z.object({ ...rangeQuery, ...filterQuery, window: z.coerce.number().int().min(1).max(MAX_WINDOW_S).default(60).describe('rolling window, seconds') }),
        response: { 200: z.object({ rates: z.array(rateSchema) }) },
      },
    }, async (req) => ({ rates: await computeRates(ctx, range(req.query), req.query.window, req.query) }));

    app.get('/api/v1/rates/series', {
      schema: {
        summary: 'Calls per step by decision', tags: ['analytics'],
        querystring: z.object({ ...rangeQuery, ...filterQuery, step: z.coerce.number().int().min(1).max(86_400).default(60).describe('bucket, seconds') }),
        response: { 200: seriesSchema },
      },
    }, async (req) => {
      const r = range(req.query);
      const out = await computeSeries(ctx, r, req.query.step, req.query);
      return { ...out, from: new Date(r.fromMs).toISOString(), to: new Date(r.toMs).toISOString() };
    });

    app.get('/api/v1/anomalies', {
      schema: {
        summary: 'Anomaly flags, each with observed, baseline, threshold, method and sample spans', tags: ['analytics'],
        description: 'Ranked by severity, then observed/threshold; at most `limit` flags (`truncated: true` when more were found), with the count of each type found.',
        querystring: z.object({
          ...rangeQuery, ...filterQuery, type: typeList, severity: z.enum(SEVERITIES).optional().describe('minimum severity'),
          limit: z.coerce.number().int().min(1).max(MAX_ANOMALY_LIMIT).default(DEFAULT_ANOMALY_LIMIT).describe('most flags returned, highest ranked first'),
        }),
        response: {
          200: z.object({
            anomalies: z.array(anomalySchema),
            counts: z.record(z.enum(ANOMALY_TYPES), z.number()).describe('flags of each type found, before the limit'),
            total: z.number(),
            truncated: z.boolean(),
          }),
        },
      },
    }, async (req) =>
      listAnomalies(ctx, range(req.query), {
        types: req.query.type, agent: req.query.agent, tool: req.query.tool, minSeverity: req.query.severity, limit: req.query.limit,
      }));
  };
}
