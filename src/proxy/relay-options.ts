import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Clock, Logger } from '../core/index.js';
import type { DecisionRecorder, OpenToolCallSpan, OpenToolsListSpan } from '../telemetry/index.js';
import type { RelayApprovals } from './approval-relay.js';
import type { PolicyState } from './policy-state.js';

export interface RelayOptions {
  /** Faces the agent (stdio server transport, one Streamable HTTP session, or in-memory). */
  agent: Transport;
  /** Faces the MCP server (stdio child, Streamable HTTP client, or in-memory). */
  upstream: Transport;
  policy: PolicyState;
  recorder: DecisionRecorder;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  /** A trusted identity (flag or bearer token); else the client's `clientInfo.name` when allowed. */
  agentId: string | undefined;
  allowClientInfoName: boolean;
  upstreamLabel: string;
  networkTransport: string;
  /** A connection id when the agent transport has no MCP session id (stdio). */
  sessionId?: string;
  /** Whether to answer unreadable input with a `"id": null` JSON-RPC error (byte streams only). */
  answerMalformed: { agent: boolean; upstream: boolean };
  /** Route server→client messages to the agent request in flight (Streamable HTTP needs a stream). */
  relateServerMessages: boolean;
  /** Enforce mode holds `approval_required` calls for a person's decision; without this they are refused. */
  approvals?: RelayApprovals | undefined;
  /** After the upstream's initialize answer has gone to the agent. */
  onInitialized?: () => void;
  onClose?: () => void;
}

/**
 * The least time the upstream's answer to `initialize` is waited for, whatever --timeout says:
 * the first request also waits for the server's process to start (an `npx` download, a cold
 * runtime), which says nothing about how fast it answers calls.
 */
export const INITIALIZE_MIN_TIMEOUT_MS = 60_000;

/** How long a request may go without news from the upstream. */
export function requestTimeoutMs(method: string, timeoutMs: number): number {
  return method === 'initialize' ? Math.max(timeoutMs, INITIALIZE_MIN_TIMEOUT_MS) : timeoutMs;
}

export interface PendingRequest {
  method: string;
  /** performance.now() after which the proxy answers for the upstream; progress pushes it back. */
  deadline: number;
  toolSpan?: OpenToolCallSpan;
  listSpan?: OpenToolsListSpan;
  progressToken?: string | number;
  /** Set while the call waits for a person's decision; aborting it ends the wait. */
  hold?: AbortController;
}

/** How often deadlines are checked: a tenth of the timeout, between 10 ms and 1 s. */
export function deadlineCheckMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(timeoutMs / 10)));
}
