/**
 * `/api/v1/policy/suggested` (GET, or POST with the current policy to diff against),
 * `/api/v1/policy/suggested.json` (the bare file) and `POST /api/v1/policy/simulate`.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_SUGGEST_HEADROOM } from '../../config/index.js';
import { parseTimeRange, simulatePolicy, suggestPolicy, type AnalyticsContext } from '../../analytics/index.js';
import { ErrorCodes, WardenError } from '../../core/index.js';
import { formatProblems, parsePolicyDocument, policyToJson } from '../../policy/index.js';
import { rangeQuery } from './analytics.js';

/** Suggest learns from a week by default: long windows are what makes a policy complete. */
const SUGGEST_DEFAULT_RANGE_MS = 7 * 86_400_000;

const headroom = z.coerce.number().min(1).max(100).default(DEFAULT_SUGGEST_HEADROOM).describe('multiplier over the largest observed rolling count');
const holdout = z.string().min(1).max(32).optional()
  .describe('the later part of the range the forward test replays, unseen by its learning: a share (20%, 0.2), a duration (2d) or none; default the last 20 %, at least a day when the range allows');
const suggestQuery = z.object({
  ...rangeQuery, headroom, holdout,
  backtest: z.enum(['true', 'false']).default('true').describe('replay the suggestion: over the history it learned from (backtest) and over the holdout (forward_test)'),
});
const policyInput = z.union([z.record(z.string(), z.unknown()), z.string().min(1)]).describe('a policy document, or its JSON/YAML text');
const suggestBody = z.object({
  ...rangeQuery, headroom, backtest: z.boolean().default(true), holdout: z.union([holdout, z.number().min(0).lt(1)]).optional(),
  current: policyInput.optional().describe('the policy in force, for the diff'),
});
const simulateBody = z.object({ ...rangeQuery, policy: policyInput });

const ruleSchema = z.object({
  path: z.string(), change: z.string(), evidence: z.any().optional().describe('calls, agents, days_seen, observed_max, p99, window_s, risk, excluded_calls, peak_at'),
  confidence: z.object({ score: z.number(), level: z.string() }).optional(), stable: z.boolean().optional(),
});
const simulationSchema = z.object({
  summary: z.any().describe('policy_hash, from, to, calls, decisions, actual, changed, newly_refused, newly_allowed, args_unchecked, note'),
  by_agent_tool: z.array(z.any()).describe('per agent+tool: calls, a count per decision, actual_refused, newly_refused, newly_allowed, args_unchecked'),
  samples: z.array(z.any()).describe('the first refused calls (ts, agent, tool, session, span_id, decision, rule, reason, actual_decision)'),
});
const suggestResponse = z.object({
  range: z.object({ from: z.string(), to: z.string() }),
  policy: z.any().describe('the suggested policy document (policy.json)'),
  rules: z.array(ruleSchema),
  diff: z.any().describe('against, recorded_policy_hash, counts, entries [{path, change: new|removed|tighter|looser|unchanged, before, after}]'),
  excluded: z.any().describe('anomalous traffic left out of learning'),
  backtest: simulationSchema.nullable().describe('in-sample: the policy replayed over the history it learned from'),
  forward_test: z.object({
    learned_on: z.object({ from: z.string(), to: z.string() }),
    replayed_on: z.object({ from: z.string(), to: z.string() }),
    policy_hash: z.string(),
    policy: z.any().describe('the policy learned on learned_on alone'),
    calls: z.number(),
    normal: z.object({ calls: z.number(), refused: z.number(), refused_share: z.number(), examples: z.array(z.any()) }),
    runaway_excess: z.object({ calls: z.number(), refused: z.number(), refused_share: z.number().nullable() }),
    by_agent_tool: z.array(z.any()).describe('per agent+tool: calls, normal_refused, runaway_calls, runaway_refused'),
    note: z.string(),
  }).nullable().describe('out-of-sample: the same procedure learned on the earlier part of the range, replayed over the later part'),
});

/** A policy given as text is parsed (JSON or YAML); problems become a 400 naming the field. */
export function policyFromInput(input: unknown, field: string): unknown {
  if (typeof input !== 'string') return input;
  const parsed = parsePolicyDocument(input);
  if (!parsed.ok) {
    throw new WardenError(ErrorCodes.POLICY_INVALID, `${field}: ${formatProblems(parsed.error).split('\n').join('; ')}`, { details: { field } });
  }
  return parsed.value;
}

export function policyRoutes(ctx: AnalyticsContext): FastifyPluginAsync {
  const suggestRange = (q: { from?: string | undefined; to?: string | undefined }) => parseTimeRange(q, ctx.clock.nowMs(), { defaultMs: SUGGEST_DEFAULT_RANGE_MS });
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get('/api/v1/policy/suggested', {
      schema: {
        summary: 'A tightened policy learned from observed usage (default: the last 7 days), with evidence, a diff, a backtest and a forward test',
        description: 'The diff is against "no policy" (allow everything); POST the current policy to diff against it.',
        tags: ['policy'], querystring: suggestQuery, response: { 200: suggestResponse },
      },
    }, async (req) => suggestPolicy(ctx, suggestRange(req.query), { headroom: req.query.headroom, backtest: req.query.backtest === 'true', holdout: req.query.holdout }));

    app.post('/api/v1/policy/suggested', {
      schema: { summary: 'As GET, diffed against the `current` policy in the body', tags: ['policy'], body: suggestBody, response: { 200: suggestResponse } },
    }, async (req) => {
      const b = req.body;
      return suggestPolicy(ctx, suggestRange(b), {
        headroom: b.headroom, backtest: b.backtest, holdout: b.holdout, ...(b.current !== undefined ? { current: policyFromInput(b.current, 'current') } : {}),
      });
    });

    app.get('/api/v1/policy/suggested.json', {
      schema: { summary: 'The suggested policy file alone, as a download', tags: ['policy'], querystring: suggestQuery.omit({ backtest: true, holdout: true }) },
    }, async (req, reply) => {
      const result = await suggestPolicy(ctx, suggestRange(req.query), { headroom: req.query.headroom, backtest: false });
      return reply.type('application/json').header('content-disposition', 'attachment; filename="policy.json"').send(policyToJson(result.policy));
    });

    app.post('/api/v1/policy/simulate', {
      schema: {
        summary: 'Replay recorded calls through a candidate policy',
        description: 'Calls are replayed in time order through the proxy\'s policy engine. Arguments are not recorded: argument rules are assumed to pass and counted as args_unchecked.',
        tags: ['policy'], body: simulateBody, response: { 200: simulationSchema },
      },
    }, async (req) => {
      const range = parseTimeRange(req.body, ctx.clock.nowMs());
      return simulatePolicy(ctx, policyFromInput(req.body.policy, 'policy'), range);
    });
  };
}
