/**
 * One agent's MCP sessions in a range: calls, tools, refusals and errors per session, ranked
 * and capped. Sessions are what an operator reads an agent's day by (one conversation or run
 * each); calls without a session id are grouped as the empty session.
 */
import { ErrorCodes, WardenError, isWardenError } from '../core/index.js';
import { IN_RANGE, assertKnownAgent, runQuery, toolCallsFinal, type AnalyticsContext } from './context.js';
import { rangeParams, type TimeRange } from './range.js';

export const DEFAULT_SESSION_LIMIT = 50;
export const MAX_SESSION_LIMIT = 1_000;

/** How sessions are ranked: the busiest, the most refused, or the most recently active first. */
export const SESSION_SORTS = ['calls', 'refused', 'recent'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

/** Fixed ORDER BY clauses (never built from request text); ties fall back to the session id. */
const ORDER_BY: Record<SessionSort, string> = {
  calls: 'calls DESC, last_ms DESC, session',
  refused: 'refused DESC, calls DESC, session',
  recent: 'last_ms DESC, calls DESC, session',
};

export interface SessionSummary {
  /** The MCP session id; '' for calls recorded without one. */
  session: string;
  calls: number;
  tools: number;
  /** denied + would_deny. */
  refused: number;
  /** Refusals acted on (enforce mode). */
  denied: number;
  /** Refusals recorded in audit mode. */
  would_deny: number;
  errors: number;
  first_seen: string;
  last_seen: string;
}

export interface AgentSessions {
  sessions: SessionSummary[];
  /** Sessions in the range before the limit. */
  total: number;
  truncated: boolean;
}

export interface SessionQuery {
  limit?: number;
  sort?: SessionSort;
}

interface SessionRow {
  session: string; calls: number; tools: number; refused: number; denied: number; would_deny: number; errors: number; first_ms: number; last_ms: number; total: number;
}

export async function listAgentSessions(ctx: AnalyticsContext, range: TimeRange, agent: string, q: SessionQuery = {}): Promise<AgentSessions> {
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_SESSION_LIMIT)), MAX_SESSION_LIMIT);
  const rows = await runQuery<SessionRow>(
    ctx,
    'sessions',
    `SELECT session, count() AS calls, uniqExact(tool) AS tools,
       countIf(decision != 'allow') AS refused,
       countIf(decision != 'allow' AND enforced) AS denied,
       countIf(decision != 'allow' AND NOT enforced) AS would_deny,
       countIf(is_error) AS errors,
       toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms,
       count() OVER () AS total
     FROM ${toolCallsFinal(ctx)}
     WHERE agent = {agent:String} AND ${IN_RANGE}
     GROUP BY session
     ORDER BY ${ORDER_BY[q.sort ?? 'calls']}
     LIMIT {limit:UInt32}`,
    { ...rangeParams(range), agent, limit },
  );
  if (rows.length === 0) await assertAgentSeen(ctx, agent);
  const total = rows[0]?.total ?? 0;
  return { sessions: rows.map(toSummary), total, truncated: total > rows.length };
}

function toSummary(r: SessionRow): SessionSummary {
  return {
    session: r.session, calls: r.calls, tools: r.tools, refused: r.refused, denied: r.denied, would_deny: r.would_deny, errors: r.errors,
    first_seen: new Date(r.first_ms).toISOString(), last_seen: new Date(r.last_ms).toISOString(),
  };
}

/** An agent the store has never recorded is a 404 here (the agent is the path), not an empty list. */
async function assertAgentSeen(ctx: AnalyticsContext, agent: string): Promise<void> {
  try {
    await assertKnownAgent(ctx, agent);
  } catch (cause) {
    if (!isWardenError(cause, ErrorCodes.BAD_REQUEST)) throw cause;
    throw new WardenError(ErrorCodes.NOT_FOUND, cause.message, { cause, details: cause.details });
  }
}
