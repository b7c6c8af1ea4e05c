/** Public value types of the policy engine; shared by the proxy, replays and analytics. */

export type DecisionKind = 'allow' | 'deny' | 'rate_limited' | 'invalid_arguments' | 'approval_required';
export type RiskClass = 'read' | 'write' | 'execute' | 'destructive' | 'financial';
export type PolicyMode = 'audit' | 'enforce';
export type LimitScope = 'grant' | 'session' | 'global';

export const DECISION_KINDS: readonly DecisionKind[] = ['allow', 'deny', 'rate_limited', 'invalid_arguments', 'approval_required'];
/** Risk classes, least risky first (suggest takes the riskiest a tool was seen with). */
export const RISK_CLASSES = ['read', 'write', 'execute', 'destructive', 'financial'] as const satisfies readonly RiskClass[];
/** Every class that changes something: what "write calls" and write bursts count. */
export const WRITE_RISK_CLASSES = ['write', 'execute', 'destructive', 'financial'] as const satisfies readonly RiskClass[];

/** The MCP `ToolAnnotations` hints Warden reads (others pass through untouched). */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
  title?: string;
}

/** One `tools/call` as the engine sees it; `tsMs` is the call's own time (wall clock or replayed). */
export interface ToolCall {
  tsMs: number;
  agent: string;
  tool: string;
  args?: unknown;
  session?: string;
}

/** The limit that refused a call, or (on allow) the one closest to exhaustion. */
export interface LimitOutcome {
  counter: string;
  /** Admitted calls in the rolling window, including this one when it was admitted. */
  count: number;
  max: number;
  windowS: number;
  /** On `rate_limited`: wait this long and the same call is admitted (absent other traffic). */
  retryAfterMs?: number;
}

export interface Decision {
  decision: DecisionKind;
  /** JSON-pointer-ish id of the rule that decided, e.g. `tools.session_close.limits[0]`, `hide`, `default`. */
  rule: string;
  reason: string;
  risk: RiskClass;
  limit?: LimitOutcome;
  /** On `approval_required`: who decides a held call (enforce mode): the person at the client, or an operator. */
  approver?: Approver;
  /** Only with shared limits (`--limits`): which counters decided this limited call. */
  limitBackend?: 'redis' | 'local-fallback' | 'deny-fallback' | 'allow-fallback';
}

/** `user`: the person at the agent's client, asked through MCP elicitation; `operator`: decided on `warden serve`. */
export type Approver = 'user' | 'operator';
export const APPROVERS: readonly Approver[] = ['user', 'operator'];

export interface PolicyProblem {
  /** Where in the policy, e.g. `tools.session_close.limits[0].max` (empty for the document itself). */
  path: string;
  message: string;
}

/** Whether a decision is acted on: enforce mode acts on everything, audit mode only lets calls through. */
export function isEnforced(decision: DecisionKind, mode: PolicyMode): boolean {
  return mode === 'enforce' || decision === 'allow';
}
