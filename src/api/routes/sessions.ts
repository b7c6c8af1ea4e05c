/** `GET /api/v1/agents/:agent/sessions`: one agent's MCP sessions, ranked and capped. */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_SESSION_LIMIT, MAX_SESSION_LIMIT, SESSION_SORTS, listAgentSessions, parseTimeRange, type AnalyticsContext } from '../../analytics/index.js';
import { rangeQuery } from './analytics.js';

const sessionSchema = z.object({
  session: z.string().describe('the MCP session id; empty for calls recorded without one'),
  calls: z.number(), tools: z.number(),
  refused: z.number().describe('denied + would_deny'), denied: z.number(), would_deny: z.number(), errors: z.number(),
  first_seen: z.string(), last_seen: z.string(),
});

const sessionsQuery = z.object({
  ...rangeQuery,
  sort: z.enum(SESSION_SORTS).default('calls').describe('calls: busiest first; refused: most refusals first; recent: last active first'),
  limit: z.coerce.number().int().min(1).max(MAX_SESSION_LIMIT).default(DEFAULT_SESSION_LIMIT).describe('most sessions returned'),
});

export function sessionRoutes(ctx: AnalyticsContext): FastifyPluginAsync {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get('/api/v1/agents/:agent/sessions', {
      schema: {
        summary: 'An agent\'s sessions in the range: calls, tools, refusals, errors, first and last call',
        description: 'Ranked by `sort`, at most `limit` (`truncated: true` when the range holds more; `total` counts them all). 404 for an agent with no calls recorded.',
        tags: ['analytics'],
        params: z.object({ agent: z.string().min(1).max(256) }),
        querystring: sessionsQuery,
        response: { 200: z.object({ sessions: z.array(sessionSchema), total: z.number(), truncated: z.boolean() }) },
      },
    }, async (req) => {
      const range = parseTimeRange(req.query, ctx.clock.nowMs());
      return listAgentSessions(ctx, range, req.params.agent, { limit: req.query.limit, sort: req.query.sort });
    });
  };
}
