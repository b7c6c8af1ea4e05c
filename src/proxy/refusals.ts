import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { PROTOCOL_RULE, ErrorType, type CallContext, type DecisionRecorder } from '../telemetry/index.js';
import { describeCollision, findKeyCollision } from './json-keys.js';
import { rawTextOf } from './ndjson.js';
import type { PolicyState } from './policy-state.js';
import type { RelayMessage } from './messages.js';

/** What the trust rules need to know about the session a message arrives in. */
export interface SessionRequests {
  /** A call with this id is being decided, held or answered upstream. */
  inFlight(id: RequestId): boolean;
  initialized: boolean;
}

/**
 * Trust rules 1–3, checked before anything else reads the message: one reading of its keys,
 * one call per request id in flight, no tools/call as a notification, one initialize.
 * Returns the reason to refuse it, or undefined.
 */
export function protocolProblem(message: RelayMessage, method: string, session: SessionRequests): string | undefined {
  const raw = rawTextOf(message);
  const collision = raw === undefined ? undefined : findKeyCollision(raw);
  if (collision) return describeCollision(collision);
  if (message.id === undefined) return method === 'tools/call' ? 'tools/call without an id' : undefined;
  if (session.inFlight(message.id) || session.inFlight(idAlias(message.id))) return `request id ${JSON.stringify(message.id)} already in flight`;
  if (method === 'initialize' && session.initialized) return 'session already initialized';
  return undefined;
}

/**
 * The other spelling of an id a server might not tell apart: 10 and "10". Refusing it too
 * means no reader of ids, strict or lenient, can pair one answer with two calls.
 */
export function idAlias(id: RequestId): RequestId {
  if (typeof id === 'number') return String(id);
  return /^-?(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id;
}

/** Records a refusal: a denied tools/call span (decided, enforced in both modes), else a protocol span. */
export function recordRefusal(recorder: DecisionRecorder, policy: PolicyState, ctx: CallContext, message: RelayMessage, reason: string): void {
  if (message.method !== 'tools/call') {
    recorder.protocolRefusal(ctx, { method: String(message.method ?? ''), requestId: message.id, reason });
    return;
  }
  const params = message.params ?? {};
  const tool = typeof params.name === 'string' ? params.name : '';
  const risk = policy.engine.riskOf(ctx.agent, tool);
  const span = recorder.toolCall(ctx, {
    tool, requestId: message.id ?? '', args: params.arguments, decision: { decision: 'deny', rule: PROTOCOL_RULE, reason, risk }, enforced: true,
  });
  span.end({ errorType: ErrorType.POLICY_DENIED, message: reason });
}
