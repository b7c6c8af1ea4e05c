import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorType, type CallContext, type OpenToolsListSpan, type ToolInventoryEntry } from '../telemetry/index.js';
import type { ToolAnnotations } from '../policy/index.js';
import { firstText, type RelayMessage } from './messages.js';
import type { PolicyState } from './policy-state.js';

/** How a tools/call reply ends its span: undefined for a result, else the error type and message. */
export function toolOutcome(message: RelayMessage): { errorType: string; message?: string } | undefined {
  if (message.error) return { errorType: ErrorType.UPSTREAM_ERROR, message: String(message.error.message ?? 'JSON-RPC error') };
  if (message.result?.isError === true) {
    const text = firstText(message.result);
    return text === undefined ? { errorType: ErrorType.TOOL_ERROR } : { errorType: ErrorType.TOOL_ERROR, message: text };
  }
  return undefined;
}

/**
 * A tools/list reply: teaches the engine the tools' annotations, records the inventory on
 * the span, and in enforce mode leaves out the tools the policy hides from this agent.
 */
export function toolsListed(message: RelayMessage, span: OpenToolsListSpan, policy: PolicyState, ctx: CallContext): RelayMessage {
  const { agent, mode } = ctx;
  const tools = message.result?.tools;
  if (!Array.isArray(tools)) {
    span.end(undefined, message.error ? { errorType: ErrorType.UPSTREAM_ERROR, message: String(message.error.message) } : undefined);
    return message;
  }
  const named = tools.filter((t): t is { name: string; annotations?: ToolAnnotations } => typeof (t as { name?: unknown })?.name === 'string');
  const { engine } = policy;
  engine.setToolAnnotations(named);
  const inventory: ToolInventoryEntry[] = named.map((t) => {
    const entry: ToolInventoryEntry = { name: t.name, annotations: t.annotations, risk: engine.riskOf(agent, t.name) };
    if (engine.isHidden(agent, t.name)) entry.hidden = true;
    return entry;
  });
  span.end(inventory);
  if (mode !== 'enforce' || !inventory.some((t) => t.hidden)) return message;
  const visible = tools.filter((t) => !engine.isHidden(agent, (t as { name?: string }).name ?? ''));
  return { ...message, result: { ...message.result, tools: visible } } as RelayMessage;
}

/** The initialize reply names the protocol version both sides speak and the server: spans carry both. */
export function serverIdentified(ctx: CallContext, result: Record<string, unknown> | undefined, upstream: Transport): void {
  const version = result?.protocolVersion;
  if (typeof version === 'string') {
    ctx.protocolVersion = version;
    upstream.setProtocolVersion?.(version);
  }
  const name = (result?.serverInfo as { name?: unknown } | undefined)?.name;
  if (typeof name === 'string' && name !== '') ctx.upstream = name;
}
