/**
 * The anomaly rules that SQL alone decides (lifecycle_violation, deny_storm), defined ONCE and
 * rendered to two targets: with bound `{name:Type}` parameters for Warden (the API and the
 * alert loop), and with literals plus the Grafana ClickHouse plugin's `$__fromTime_ms` /
 * `$__toTime_ms` macros for the dashboards' anomaly panel and Grafana alert rules. Every
 * rendering returns the same columns, one row per flag:
 *   type, severity, agent, tool, start_ms, end_ms, observed, threshold, calls, sessions,
 *   samples (span ids), sample_sessions
 * so the three readers cannot disagree on the same data.
 */
import { ToolCallsColumns as C } from '../../storage/index.js';
import type { AnomalyThresholds } from '../config.js';
import { callsOnce } from '../context.js';
import { SEVERITY_RATIOS } from './common.js';
import type { AnomalyType } from './types.js';

export interface RuleTarget {
  /** The `db`.`tool_calls` reference to read (each span once: callsOnce). */
  toolCalls: string;
  /** 'bound': Warden's parameters; 'grafana': literals and the plugin's time macros. */
  mode: 'bound' | 'grafana';
  /** Grafana mode: renders a string literal (the caller's escaping). */
  literal?: (text: string) => string;
  /** Predicates over tool_calls columns, already rendered for the target (e.g. template variables). */
  extraWhere?: readonly string[];
  /** Bound mode: only this agent. */
  agent?: string | undefined;
}

export interface RenderedRule {
  sql: string;
  /** Bound mode: the parameters, including from_ms and to_ms (set by the caller's range). */
  params: Record<string, unknown>;
}

/** Builds one rendering: a value is a bound parameter or a literal, the range bounds a parameter or a macro. */
class Render {
  readonly params: Record<string, unknown> = {};
  constructor(private readonly target: RuleTarget) {}

  get from(): string {
    return this.target.mode === 'bound' ? 'fromUnixTimestamp64Milli({from_ms:Int64})' : '$__fromTime_ms';
  }

  get to(): string {
    return this.target.mode === 'bound' ? 'fromUnixTimestamp64Milli({to_ms:Int64})' : '$__toTime_ms';
  }

  int(name: string, value: number, type: 'Int64' | 'UInt64' = 'Int64'): string {
    if (!Number.isSafeInteger(value)) throw new Error(`${name}: not an integer: ${value}`);
    if (this.target.mode === 'grafana') return String(value);
    this.params[name] = value;
    return `{${name}:${type}}`;
  }

  strings(name: string, values: readonly string[]): string {
    if (this.target.mode === 'bound') {
      this.params[name] = [...values];
      return `{${name}:Array(String)}`;
    }
    const literal = this.target.literal;
    if (!literal) throw new Error('grafana rendering needs a literal() function');
    return `[${values.map(literal).join(', ')}]`;
  }

  where(): string[] {
    const out = [...(this.target.extraWhere ?? [])];
    if (this.target.mode === 'bound' && this.target.agent) {
      this.params.agent = this.target.agent;
      out.push(`${C.AGENT} = {agent:String}`);
    }
    return out;
  }
}

/** The severity of a flag in SQL, from the same ratios as severityByRatio. */
export function severitySql(observed: string, threshold: string): string {
  const ratio = `(${observed} / ${threshold})`;
  return `multiIf(${SEVERITY_RATIOS.map(([min, s]) => `${ratio} >= ${min}, '${s}'`).join(', ')}, 'low')`;
}

/** Rows of calls in one session beyond this many of a lifecycle tool are critical, not medium. */
export const LIFECYCLE_CRITICAL_CALLS = 10;

/**
 * lifecycle_violation: a lifecycle tool (session_start / session_close by default) called more
 * than once in one MCP session. One flag per agent and tool (not per session: a framework that
 * closes every session twice is one finding), with the number of sessions, the excess calls,
 * the worst session's count as `observed`, and the worst sessions as samples. Calls without a
 * session id cannot be judged and are skipped.
 */
export function lifecycleRule(t: AnomalyThresholds, target: RuleTarget): RenderedRule {
  const r = new Render(target);
  const sessions = lifecycleSessionsSql(r, t, target);
  const samples = r.int('samples', t.samples);
  const sql = `SELECT 'lifecycle_violation' AS type,
    if(observed >= ${r.int('lifecycle_critical', LIFECYCLE_CRITICAL_CALLS)}, 'critical', 'medium') AS severity,
    agent, tool, min(second_ms) AS start_ms, max(last_ms) + 1 AS end_ms,
    max(n) AS observed, toInt64(1) AS threshold, sum(n - 1) AS calls, count() AS sessions,
    arrayMap(x -> x.3, arraySlice(arrayReverseSort(groupArray((n, -second_ms, span))), 1, ${samples})) AS samples,
    arrayMap(x -> x.3, arraySlice(arrayReverseSort(groupArray((n, -second_ms, session))), 1, ${samples})) AS sample_sessions
  FROM (${sessions})
  GROUP BY agent, tool`;
  return { sql, params: r.params };
}

/**
 * The sessions behind lifecycle_violation, one row each: agent, session, tool, n (its calls of
 * the tool), second_ms and last_ms (its extra calls lie in [second_ms, last_ms]) and span (its
 * last call). suggest excludes exactly these extra calls from what it learns.
 */
export function lifecycleSessionsRule(t: AnomalyThresholds, target: RuleTarget): RenderedRule {
  const r = new Render(target);
  return { sql: lifecycleSessionsSql(r, t, target), params: r.params };
}

function lifecycleSessionsSql(r: Render, t: AnomalyThresholds, target: RuleTarget): string {
  const tools = r.strings('lifecycle_tools', t.lifecycleTools);
  const where = [`${C.TS} >= ${r.from}`, `${C.TS} < ${r.to}`, `${C.SESSION} != ''`, `${C.TOOL} IN ${tools}`, ...r.where()];
  return `SELECT ${C.AGENT} AS agent, ${C.SESSION} AS session, ${C.TOOL} AS tool, toInt64(count()) AS n,
      toUnixTimestamp64Milli(arraySort(groupArray(${C.TS}))[2]) AS second_ms, toUnixTimestamp64Milli(max(${C.TS})) AS last_ms,
      argMax(${C.SPAN_ID}, ${C.TS}) AS span
    FROM ${callsOnce(target.toolCalls, [C.SESSION], where)}
    GROUP BY ${C.AGENT}, ${C.SESSION}, ${C.TOOL}
    HAVING n > 1`;
}

/**
 * deny_storm: an agent that keeps calling a tool that is being refused: at least `denyStorm`
 * ENFORCED refusals (the agent saw them; audit-mode refusals are not retries) of one agent and
 * tool within a rolling `denyWindowS` (ms resolution, the limits' definition). Flagged calls no
 * more than one window apart form one episode: observed = its largest rolling count.
 */
export function denyStormRule(t: AnomalyThresholds, target: RuleTarget): RenderedRule {
  const r = new Render(target);
  const windowMs = r.int('deny_window_ms', t.denyWindowS * 1000);
  const min = r.int('deny_min', t.denyStorm);
  const samples = r.int('samples', t.samples);
  const sql = `SELECT 'deny_storm' AS type, ${severitySql('observed', 'threshold')} AS severity,
    agent, tool, toUnixTimestamp64Milli(min(ts)) AS start_ms, toUnixTimestamp64Milli(max(ts)) + 1 AS end_ms,
    max(c) AS observed, toInt64(${min}) AS threshold, toInt64(count()) AS calls, toInt64(0) AS sessions,
    groupArray(${samples})(span_id) AS samples, CAST([], 'Array(String)') AS sample_sessions
  FROM (
    SELECT agent, tool, ts, span_id, c, sum(gap) OVER (PARTITION BY agent, tool ORDER BY ts, span_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode
    FROM (
      SELECT agent, tool, ts, span_id, c,
        toUnixTimestamp64Milli(ts) - lagInFrame(toUnixTimestamp64Milli(ts), 1, toInt64(0))
          OVER (PARTITION BY agent, tool ORDER BY ts, span_id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) > ${windowMs} AS gap
      FROM (
        SELECT ${C.AGENT} AS agent, ${C.TOOL} AS tool, ${C.TS} AS ts, ${C.SPAN_ID} AS span_id,
          toInt64(count() OVER (PARTITION BY ${C.AGENT}, ${C.TOOL} ORDER BY toUnixTimestamp64Milli(${C.TS}) RANGE BETWEEN ${r.int('deny_window_ms_1', t.denyWindowS * 1000 - 1, 'UInt64')} PRECEDING AND CURRENT ROW)) AS c
        FROM ${callsOnce(target.toolCalls, [], [`${C.TS} >= ${r.from} - toIntervalMillisecond(${windowMs})`, `${C.TS} < ${r.to}`, `${C.DECISION} != 'allow'`, C.ENFORCED, ...r.where()])}
      )
      WHERE ts >= ${r.from} AND c >= ${min}
    )
  )
  GROUP BY agent, tool, episode`;
  return { sql, params: r.params };
}

export type SqlRuleType = Extract<AnomalyType, 'lifecycle_violation' | 'deny_storm'>;

/** The SQL-decided rules, by anomaly type. */
export const SQL_RULES: Record<SqlRuleType, (t: AnomalyThresholds, target: RuleTarget) => RenderedRule> = {
  lifecycle_violation: lifecycleRule,
  deny_storm: denyStormRule,
};
