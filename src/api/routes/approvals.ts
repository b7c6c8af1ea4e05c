/**
 * Approvals (`action: approve` tools in enforce mode):
 * - `POST /api/v1/approvals` — a proxy registers a held call (authenticated like OTLP).
 * - `GET /api/v1/approvals?status=pending` — the list an operator decides from.
 * - `GET /api/v1/approvals/{id}?wait=30s` — the proxy's long-poll for the decision.
 * - `POST /api/v1/approvals/{id}/decision` `{decision: approve|deny, reason}` — who decided
 *   comes from the request's token, never from the body.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { APPROVAL_DECISIONS, APPROVAL_LIMITS, APPROVAL_STATUSES, type Approval, type ApprovalRegistry } from '../../approvals/index.js';
import { ErrorCodes, parseDurationMs } from '../../core/index.js';
import { parseTimeRange } from '../../analytics/index.js';
import { requestIdentity } from '../auth.js';
import { rangeQuery } from './analytics.js';
import { errorBody, sendError } from '../errors.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

const approvalSchema = z.object({
  id: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  agent: z.string(),
  tool: z.string(),
  session: z.string(),
  upstream: z.string(),
  rule: z.string(),
  reason: z.string(),
  args: z.string().describe('as the proxy recorded them: a hash by default, or redacted/full'),
  args_hash: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  decided_at: z.string().nullable(),
  decided_by: z.string().describe('operator name from the token, api-token, local, or timeout'),
  decision_reason: z.string(),
});

const text = (max: number) => z.string().max(max);
const createBody = z.object({
  agent: text(512).min(1),
  tool: text(512).min(1),
  session: text(512).default(''),
  upstream: text(512).default(''),
  rule: text(512).default(''),
  reason: text(2048).default(''),
  args: text(APPROVAL_LIMITS.maxArgsChars).default(''),
  args_hash: text(256).default(''),
  timeout_ms: z.number().int().min(1).max(APPROVAL_LIMITS.maxTimeoutMs).describe('how long the proxy holds the call'),
});
const decisionBody = z.object({ decision: z.enum(APPROVAL_DECISIONS), reason: text(2048).default('') });
const idParams = z.object({ id: z.string().regex(/^apr_[0-9a-f]{24}$/, 'not an approval id') });
const waitQuery = z.object({
  wait: z.string().regex(/^\d+(ms|s|m)?$/).optional().describe(`long-poll up to this long for a decision (e.g. 30s; at most ${APPROVAL_LIMITS.maxWaitMs / 1000}s)`),
});
const listQuery = z.object({ status: z.enum(APPROVAL_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const statsSchema = z.object({
  agent: z.string(), tool: z.string(), requested: z.number(), approved: z.number(), denied: z.number(), expired: z.number(), pending: z.number(),
  approval_rate: z.number(),
  wait_p50_ms: z.number().nullable().describe('null until one is decided'), wait_max_ms: z.number().nullable().describe('null until one is decided'),
});
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export function approvalJson(a: Approval): z.infer<typeof approvalSchema> {
  return {
    id: a.id, status: a.status, agent: a.agent, tool: a.tool, session: a.session, upstream: a.upstream, rule: a.rule,
    reason: a.reason, args: a.args, args_hash: a.argsHash, created_at: new Date(a.createdAtMs).toISOString(),
    expires_at: new Date(a.expiresAtMs).toISOString(), decided_at: iso(a.decidedAtMs), decided_by: a.decidedBy, decision_reason: a.decisionReason,
  };
}

function notFound(reply: FastifyReply, id: string): FastifyReply {
  return sendError(reply, 404, ErrorCodes.NOT_FOUND, `no approval ${id}`);
}

export function approvalsRoutes(registry: ApprovalRegistry): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post('/api/v1/approvals', {
      schema: { summary: 'Register a held call for a person to decide', tags: ['approvals'], body: createBody, response: { 201: approvalSchema, 503: errorSchema } },
    }, async (request, reply) => {
      const b = request.body;
      const result = await registry.create({
        agent: b.agent, tool: b.tool, session: b.session, upstream: b.upstream, rule: b.rule, reason: b.reason, args: b.args, argsHash: b.args_hash, timeoutMs: b.timeout_ms,
      });
      if (result.kind === 'full') {
        reply.header('retry-after', '5');
        return reply.status(503).send(errorBody(ErrorCodes.OVERLOADED, `${result.pending} approvals are already pending; decide some first`));
      }
      return reply.status(201).send(approvalJson(result.approval));
    });

    r.get('/api/v1/approvals', {
      schema: { summary: 'Approvals, most recent first (pending: oldest first)', tags: ['approvals'], querystring: listQuery, response: { 200: z.object({ approvals: z.array(approvalSchema) }) } },
    }, async (request) => ({ approvals: (await registry.list(request.query)).map(approvalJson) }));

    r.get('/api/v1/approvals/stats', {
      schema: {
        summary: 'Approvals per agent and tool: requested, approved, denied, expired, approval rate, wait time',
        tags: ['approvals'], querystring: z.object(rangeQuery),
        response: { 200: z.object({ range: z.object({ from: z.string(), to: z.string() }), stats: z.array(statsSchema) }) },
      },
    }, async (request) => {
      const range = parseTimeRange(request.query, Date.now());
      return { range: { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() }, stats: await registry.stats(range.fromMs, range.toMs) };
    });

    r.get('/api/v1/approvals/:id', {
      schema: { summary: 'One approval; with ?wait=, once decided or when the wait ends', tags: ['approvals'], params: idParams, querystring: waitQuery, response: { 200: approvalSchema, 404: errorSchema } },
    }, async (request, reply) => {
      const waitMs = request.query.wait ? parseDurationMs(request.query.wait) : 0;
      const approval = await registry.wait(request.params.id, waitMs);
      return approval ? approvalJson(approval) : notFound(reply, request.params.id);
    });

    r.post('/api/v1/approvals/:id/decision', {
      schema: { summary: 'Approve or deny a pending approval', tags: ['approvals'], params: idParams, body: decisionBody, response: { 200: approvalSchema, 404: errorSchema, 409: errorSchema } },
    }, async (request, reply) => {
      const { id } = request.params;
      const result = await registry.decide(id, request.body.decision, requestIdentity(request), request.body.reason);
      if (result.kind === 'not_found') return notFound(reply, id);
      if (result.kind === 'already_decided') {
        const a = result.approval;
        return sendError(reply, 409, ErrorCodes.APPROVAL_DECIDED, `approval ${id} is already ${a.status}${a.decidedBy ? ` (by ${a.decidedBy})` : ''}`);
      }
      return approvalJson(result.approval);
    });
  };
}
