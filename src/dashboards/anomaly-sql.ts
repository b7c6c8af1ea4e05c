import { DEFAULT_DENY_STORM_ABOVE } from '../alerts/parse.js';
import { ToolCalls1mColumns as R, ToolCallsColumns as C } from '../storage/schema.js';
import { ALLOW, SESSION_CLOSE_PATTERN, SESSION_START_PATTERN, rollupCalls } from './exprs.js';
import { literal, select, type TableRefs } from './sql.js';

/** Refusals of one tool by one agent within a minute that count as a deny storm (retrying after denials). */
export const DENY_STORM_MIN_PER_MINUTE = DEFAULT_DENY_STORM_ABOVE;

/**
 * The anomalies SQL alone can find: lifecycle violations (a session started or closed more
 * than once) and deny storms. The statistical ones (rate spikes, loops, new tools) come
 * from Warden's API (/api/v1/anomalies), which Grafana cannot query without another plugin.
 */
export function sqlAnomaliesQuery(t: TableRefs, extraWhere: readonly string[] = []): string {
  const lifecycle = select({
    select: [
      `toDateTime(min(${C.TS})) AS start`,
      `toDateTime(max(${C.TS})) AS end`,
      `'lifecycle_violation' AS type`,
      C.AGENT,
      C.TOOL,
      C.SESSION,
      `count() AS observed`,
      `toUInt64(1) AS threshold`,
      `concat(${C.TOOL}, ' called ', toString(observed), ' times in one session') AS explanation`,
    ],
    from: t.toolCalls,
    final: true,
    where: [
      `$__timeFilter(${C.TS})`,
      `${C.SESSION} != ''`,
      `(match(${C.TOOL}, ${literal(SESSION_START_PATTERN)}) OR match(${C.TOOL}, ${literal(SESSION_CLOSE_PATTERN)}))`,
      ...extraWhere,
    ],
    groupBy: [C.AGENT, C.SESSION, C.TOOL],
    having: ['observed > 1'],
  });
  const storms = select({
    select: [
      `${R.MINUTE} AS start`,
      `${R.MINUTE} + 60 AS end`,
      `'deny_storm' AS type`,
      R.AGENT,
      R.TOOL,
      `'' AS ${C.SESSION}`,
      `${rollupCalls} AS observed`,
      `toUInt64(${DENY_STORM_MIN_PER_MINUTE}) AS threshold`,
      `concat(toString(observed), ' refused calls of ', ${R.TOOL}, ' in one minute') AS explanation`,
    ],
    from: t.toolCalls1m,
    where: [`$__timeFilter(${R.MINUTE})`, `${R.DECISION} != ${literal(ALLOW)}`, ...extraWhere],
    groupBy: [R.MINUTE, R.AGENT, R.TOOL],
    having: [`observed >= ${DENY_STORM_MIN_PER_MINUTE}`],
  });
  const union = `(\n${lifecycle}\nUNION ALL\n${storms}\n)`;
  return select({
    select: ['start', 'end', 'type', C.AGENT, C.TOOL, C.SESSION, 'observed', 'threshold', 'explanation'],
    from: union,
    orderBy: ['start DESC', C.AGENT, C.TOOL],
    limit: 200,
  });
}
