import { ToolCallsColumns as C } from '../storage/schema.js';
import { SESSION_CLOSE_PATTERN, SESSION_START_PATTERN, wouldDeny } from './exprs.js';
import { sqlTarget, tablePanel } from './panels.js';
import { literal, select, type TableRefs } from './sql.js';

/** Status text per session; the colours are value mappings on the `status` column. */
export const SessionStatus = {
  OK: 'ok',
  CLOSED_TWICE: 'closed more than once',
  STARTED_TWICE: 'started more than once',
  OPEN: 'not closed',
  NO_START: 'closed without start',
} as const;

const STATUS_COLORS: Record<string, string> = {
  [SessionStatus.OK]: 'green',
  [SessionStatus.CLOSED_TWICE]: 'red',
  [SessionStatus.STARTED_TWICE]: 'red',
  [SessionStatus.OPEN]: 'blue',
  [SessionStatus.NO_START]: 'orange',
};

/** One row per session: when it started and closed, how often, and whether that is a lifecycle violation. */
export function sessionLifecycleSql(t: TableRefs, filters: readonly string[]): string {
  const starts = `countIf(match(${C.TOOL}, ${literal(SESSION_START_PATTERN)}))`;
  const closes = `countIf(match(${C.TOOL}, ${literal(SESSION_CLOSE_PATTERN)}))`;
  return select({
    select: [
      C.SESSION,
      `min(${C.TS}) AS first_call`,
      `max(${C.TS}) AS last_call`,
      `${starts} AS starts`,
      `${closes} AS closes`,
      'count() AS calls',
      `countIf(${wouldDeny()}) AS would_deny`,
      `multiIf(closes > 1, ${literal(SessionStatus.CLOSED_TWICE)}, starts > 1, ${literal(SessionStatus.STARTED_TWICE)}, ` +
        `closes = 0, ${literal(SessionStatus.OPEN)}, starts = 0, ${literal(SessionStatus.NO_START)}, ${literal(SessionStatus.OK)}) AS status`,
    ],
    from: t.toolCalls,
    final: true,
    where: [`$__timeFilter(${C.TS})`, `${C.SESSION} != ''`, ...filters],
    groupBy: [C.SESSION],
    orderBy: ['first_call DESC'],
    limit: 200,
  });
}

export function sessionLifecycleTable(t: TableRefs, filters: readonly string[]) {
  const options = Object.fromEntries(Object.entries(STATUS_COLORS).map(([text, color], index) => [text, { color, index }]));
  return tablePanel('Session lifecycle', 'Start and close calls per MCP session: a session closed or started more than once is a lifecycle violation.', { w: 24, h: 10 })
    .overrides([{
      matcher: { id: 'byName', options: 'status' },
      properties: [
        { id: 'mappings', value: [{ type: 'value', options }] },
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
      ],
    }])
    .withTarget(sqlTarget(sessionLifecycleSql(t, filters)));
}
