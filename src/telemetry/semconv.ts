/**
 * The one vocabulary file for span names and attribute keys (design.md, "Span contract").
 * The MCP/GenAI keys follow the OpenTelemetry semantic conventions; `warden.*` are ours.
 * migrations/*.sql read the same keys from `SpanAttributes`; test/unit/semconv.test.ts
 * checks that the two agree.
 */
export const SERVICE_NAME = 'warden-proxy';
export const SCOPE_NAME = 'warden';

export const Attr = {
  // OpenTelemetry MCP / GenAI / general conventions
  MCP_METHOD_NAME: 'mcp.method.name',
  MCP_SESSION_ID: 'mcp.session.id',
  MCP_PROTOCOL_VERSION: 'mcp.protocol.version',
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_AGENT_ID: 'gen_ai.agent.id',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  NETWORK_TRANSPORT: 'network.transport',
  ERROR_TYPE: 'error.type',
  ENDUSER_ID: 'enduser.id',
  CLIENT_ADDRESS: 'client.address',
  SERVICE_NAME: 'service.name',
  // Warden's own
  DECISION: 'warden.decision',
  ENFORCED: 'warden.enforced',
  MODE: 'warden.mode',
  RULE: 'warden.rule',
  REASON: 'warden.reason',
  POLICY_HASH: 'warden.policy.hash',
  TOOL_RISK: 'warden.tool.risk',
  ARGS_HASH: 'warden.args.hash',
  ARGS_BYTES: 'warden.args.bytes',
  /** `hmac-sha256` when the argument hash is keyed (--args-hash-key-file); absent for plain sha256. */
  ARGS_HASH_ALG: 'warden.args.hash_alg',
  ARGS: 'warden.args',
  LIMIT_COUNTER: 'warden.limit.counter',
  LIMIT_COUNT: 'warden.limit.count',
  LIMIT_MAX: 'warden.limit.max',
  LIMIT_WINDOW_S: 'warden.limit.window_s',
  /** With `--limits`: which counters decided a limited call (redis, local-fallback, deny-fallback, allow-fallback). */
  LIMIT_BACKEND: 'warden.limit.backend',
  UPSTREAM: 'warden.upstream',
  TOOLS: 'warden.tools',
  /** On a call held for approval (enforce mode, `action: approve`). */
  APPROVAL_ID: 'warden.approval.id',
  APPROVAL_OUTCOME: 'warden.approval.outcome',
  APPROVAL_BY: 'warden.approval.by',
  APPROVAL_WAIT_MS: 'warden.approval.wait_ms',
  /** On policy reload events: why a reload was rejected, and which file it came from. */
  RELOAD_REASON: 'warden.reload.reason',
  RELOAD_SOURCE: 'warden.reload.source',
} as const;

export type AttrKey = (typeof Attr)[keyof typeof Attr];

export const McpMethod = { TOOLS_CALL: 'tools/call', TOOLS_LIST: 'tools/list' } as const;
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';

export const ErrorType = {
  TOOL_ERROR: 'tool_error',
  POLICY_DENIED: 'policy_denied',
  UPSTREAM_ERROR: 'upstream_error',
} as const;

/** Span name per the MCP conventions: `{mcp.method.name} {target}`. */
export function toolCallSpanName(tool: string): string {
  return `${McpMethod.TOOLS_CALL} ${tool}`;
}

/** Span event emitted when a policy reload is rejected. */
export const EVENT_POLICY_RELOAD_REJECTED = 'warden.policy.reload_rejected';

// Emitting-side additions (proxy): span names, transports, reload events.
export const TOOLS_LIST_SPAN_NAME = McpMethod.TOOLS_LIST;
/** An INTERNAL span carrying policy reload events (it has no `mcp.method.name`, so it is not a tool call). */
export const POLICY_RELOAD_SPAN_NAME = 'warden.policy.reload';
export const EVENT_POLICY_RELOADED = 'warden.policy.reloaded';
/** `network.transport` values (OTel general conventions). */
export const NetworkTransport = { PIPE: 'pipe', TCP: 'tcp' } as const;
/** `warden.rule` of a message refused by the proxy's trust rules before any policy decision. */
export const PROTOCOL_RULE = 'protocol';

/** `error.type` when the agent cancelled the request before the upstream answered. */
export const ERROR_TYPE_CANCELLED = 'cancelled';
