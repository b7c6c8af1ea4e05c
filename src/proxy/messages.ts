import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Decision, DecisionKind } from '../policy/index.js';
import { InvalidJsonRpcError } from './ndjson.js';

/** JSON-RPC / MCP error codes the proxy answers with (JSON-RPC 2.0 §5.1; MCP SDK ErrorCode). */
export const RpcError = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  CONNECTION_CLOSED: -32000,
  REQUEST_TIMEOUT: -32001,
  INTERNAL_ERROR: -32603,
} as const;

/** A JSON-RPC message as the relay reads it: only the fields it routes and decides on. */
export type RelayMessage = JSONRPCMessage & {
  id?: RequestId;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message?: string };
};

export function errorResponse(id: RequestId, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/**
 * The answer to a message that could not be read at all. JSON-RPC requires `"id": null`
 * here, which the SDK's message type does not model, hence the cast.
 */
export function malformedResponse(error: Error): JSONRPCMessage | undefined {
  if (error instanceof SyntaxError) return nullIdError(RpcError.PARSE_ERROR, 'Parse error: the message is not valid JSON');
  if (error instanceof InvalidJsonRpcError) return nullIdError(RpcError.INVALID_REQUEST, 'Invalid Request: the message is not a JSON-RPC 2.0 request, notification or response');
  return undefined;
}

function nullIdError(code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id: null, error: { code, message } } as unknown as JSONRPCMessage;
}

const REFUSAL_LABEL: Record<Exclude<DecisionKind, 'allow'>, string> = {
  deny: 'denied',
  rate_limited: 'rate limited',
  invalid_arguments: 'invalid arguments',
  approval_required: 'approval required',
};
const REASON_PREFIX = /^(denied by policy|denied|rate limited|invalid arguments|approval required)(?: by policy)?: /i;

/**
 * The text an agent's model reads when enforce mode refuses a call, e.g.
 * "denied by policy: rule tools.doctor: repairs are run by operators". Rate limits keep
 * the engine's "retry in …" so the model knows when to try again.
 */
export function refusalText(decision: Decision): string {
  const label = decision.decision === 'allow' ? 'allowed' : REFUSAL_LABEL[decision.decision];
  return `${label} by policy: rule ${decision.rule}: ${decision.reason.replace(REASON_PREFIX, '')}`;
}

export function refusalResponse(id: RequestId, decision: Decision): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    result: { isError: true, content: [{ type: 'text', text: refusalText(decision) }] },
  };
}

/** The first text block of a tool result, shortened, for a span status message. */
export function firstText(result: unknown): string | undefined {
  const content = (result as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  for (const block of content) {
    const text = (block as { type?: unknown; text?: unknown } | null)?.text;
    if (typeof text === 'string') return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  return undefined;
}
