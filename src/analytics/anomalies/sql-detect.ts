/** Runs a SQL-decided rule (sql-rules.ts) for the API and the alert loop, and explains its rows. */
import { runQuery, table, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { Tables } from '../../storage/index.js';
import { finishAnomaly } from './common.js';
import { SQL_RULES, type SqlRuleType } from './sql-rules.js';
import type { Anomaly, Severity } from './types.js';

/** One row of any SQL-decided rule (the columns sql-rules.ts promises). */
export interface RuleRow {
  type: SqlRuleType;
  severity: Severity;
  agent: string;
  tool: string;
  start_ms: number;
  end_ms: number;
  observed: number;
  threshold: number;
  calls: number;
  sessions: number;
  samples: string[];
  sample_sessions: string[];
}

/** The rule's rows over `range` as Warden runs them (bound parameters). */
export function ruleRows(ctx: AnalyticsContext, type: SqlRuleType, range: TimeRange, agent?: string): Promise<RuleRow[]> {
  const rule = SQL_RULES[type](ctx.config.anomalies, { toolCalls: table(ctx, Tables.TOOL_CALLS), mode: 'bound', agent });
  return runQuery<RuleRow>(ctx, `${type} detection`, rule.sql, { ...rule.params, ...rangeParams(range) });
}


export function ruleAnomaly(r: RuleRow, explain: { method: string; explanation: string; baseline: number }): Anomaly {
  return finishAnomaly({
    type: r.type, severity: r.severity, agent: r.agent, tool: r.tool, startMs: Number(r.start_ms), endMs: Number(r.end_ms),
    observed: Number(r.observed), baseline: explain.baseline, threshold: Number(r.threshold), calls: Number(r.calls),
    ...(Number(r.sessions) > 0 ? { sessions: Number(r.sessions), sample_sessions: r.sample_sessions } : {}),
    method: explain.method, explanation: explain.explanation, sample_span_ids: r.samples,
  });
}
