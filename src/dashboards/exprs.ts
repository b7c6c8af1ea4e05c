import { Attr, McpMethod } from '../telemetry/semconv.js';
import { OtelTracesColumn as O, ToolCalls1mColumns as R, ToolCallsColumns as C } from '../storage/schema.js';
import { literal } from './sql.js';

/** SQL expressions shared by several panels. Column names come from storage/schema.ts. */

export const ALLOW = 'allow';
/** Risk classes that change state (PolicyLayer's "write" side). */
export { WRITE_RISK_CLASSES as WRITE_RISKS } from '../policy/index.js';
/** Tool names that open / close an agent session (Total Recall's session_start/session_close and kin). */
export const SESSION_START_PATTERN = '(^|[_.-])(session_)?(start|open|begin)$';
export const SESSION_CLOSE_PATTERN = '(^|[_.-])(session_)?(close|end|stop)$';

/** allow / denied (enforced refusal) / would-deny (audit-mode refusal) for a row of tool_calls or tool_calls_1m. */
export function outcomeExpr(decision: string = C.DECISION, enforced: string = C.ENFORCED): string {
  return `multiIf(${decision} = ${literal(ALLOW)}, 'allow', ${enforced}, 'denied', 'would-deny')`;
}

/** Refused only on paper: audit mode let the call through. */
export function wouldDeny(decision: string = C.DECISION, enforced: string = C.ENFORCED): string {
  return `${decision} != ${literal(ALLOW)} AND NOT ${enforced}`;
}

/** Refused in enforce mode. */
export function denied(decision: string = C.DECISION, enforced: string = C.ENFORCED): string {
  return `${decision} != ${literal(ALLOW)} AND ${enforced}`;
}

/** Calls that reached the upstream: allowed, or refused only on paper (audit mode). */
export function forwarded(decision: string = C.DECISION, enforced: string = C.ENFORCED): string {
  return `(${decision} = ${literal(ALLOW)} OR NOT ${enforced})`;
}

/** Rollup reads. */
export const rollupCalls = `uniqExactMerge(${R.CALLS})`;
export const rollupErrors = `uniqExactIfMerge(${R.ERRORS})`;
export const rollupQuantiles = `quantilesMerge(0.5, 0.9, 0.99)(${R.DURATION_Q})`;

/** A span attribute of otel_traces. */
export function spanAttr(key: string): string {
  return `${O.SPAN_ATTRIBUTES}[${literal(key)}]`;
}

/** The agent of a span, resolved as the tool_calls view does (gen_ai.agent.id, enduser.id, client.address). */
export const spanAgent =
  `multiIf(${spanAttr(Attr.GEN_AI_AGENT_ID)} != '', ${spanAttr(Attr.GEN_AI_AGENT_ID)}, ` +
  `${spanAttr(Attr.ENDUSER_ID)} != '', ${spanAttr(Attr.ENDUSER_ID)}, ${spanAttr(Attr.CLIENT_ADDRESS)})`;

export const isToolCallSpan = `${spanAttr(Attr.MCP_METHOD_NAME)} = ${literal(McpMethod.TOOLS_CALL)}`;

/** Nanoseconds → milliseconds as a float. */
export function nsToMs(expr: string): string {
  return `round(${expr} / 1e6, 3)`;
}
