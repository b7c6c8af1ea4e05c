import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { formatDurationMs } from '../core/index.js';
import { ApprovalHolds } from './approval-relay.js';
import { isEnforced, type Decision } from '../policy/index.js';
import {
  ERROR_TYPE_CANCELLED, ErrorType, type CallContext, type OpenToolCallSpan, type ToolCallStart,
} from '../telemetry/index.js';
import { RpcError, errorResponse, malformedResponse, refusalResponse, type RelayMessage } from './messages.js';
import { protocolProblem, recordRefusal, type SessionRequests } from './refusals.js';
import { serverIdentified, toolOutcome, toolsListed } from './upstream-replies.js';
import { deadlineCheckMs, requestTimeoutMs, type PendingRequest, type RelayOptions } from './relay-options.js';

/**
 * One agent session relayed to one upstream connection at the Transport level. Only
 * `tools/call` and `tools/list` are decoded; every other message goes through as it came,
 * in both directions. Request ids are passed through unchanged: each side keeps its own id
 * space, and the proxy never originates requests of its own.
 */
export class McpRelay implements SessionRequests {
  readonly ctx: CallContext;
  /** tools/call requests decided so far (the start-up warm-up stops at the first). */
  toolCalls = 0;
  private readonly pending = new Map<RequestId, PendingRequest>();
  private readonly progress = new Map<string | number, RequestId>();
  private clientName: string | undefined;
  /** Read by the trust rules (SessionRequests). */
  initialized = false;
  /** Request ids whose shared-limit decision (Redis) is still on its way. */
  private readonly deciding = new Set<RequestId>();
  private upstreamGone: string | undefined;
  private closed = false;
  private deadlines: NodeJS.Timeout | undefined;
  private readonly holds: ApprovalHolds | undefined;

  constructor(private readonly opts: RelayOptions) {
    this.holds = opts.approvals ? new ApprovalHolds(opts.approvals, (message, related) => this.toAgent(message, related)) : undefined;
    this.ctx = {
      agent: opts.agentId ?? 'unknown',
      upstream: opts.upstreamLabel,
      mode: opts.policy.mode,
      policyHash: opts.policy.hash,
      sessionId: opts.sessionId,
      networkTransport: opts.networkTransport,
    };
  }

  async start(): Promise<void> {
    const { agent, upstream } = this.opts;
    agent.onmessage = (message) => this.guard(() => this.fromAgent(message as RelayMessage));
    agent.onerror = (error) => this.onTransportError('agent', error);
    agent.onclose = () => void this.close();
    upstream.onmessage = (message) => this.guard(() => this.fromUpstream(message as RelayMessage));
    upstream.onerror = (error) => this.onTransportError('upstream', error);
    upstream.onclose = () => this.onUpstreamClosed();
    await upstream.start();
    await agent.start();
    // One timer checks every request's deadline: a timer per request costs more than the rest of the call's bookkeeping.
    this.deadlines = setInterval(() => this.expireRequests(), deadlineCheckMs(this.opts.timeoutMs));
    this.deadlines.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.deadlines);
    for (const [id, entry] of this.pending) {
      // A call held for approval never ran: its client hears so before the session ends.
      if (entry.hold) this.toAgent(errorResponse(id, RpcError.CONNECTION_CLOSED, 'warden: the proxy stopped while the call waited for approval; it did not run'), id);
      entry.hold?.abort();
      this.settle(entry, { errorType: ERROR_TYPE_CANCELLED, message: 'agent session closed' });
    }
    this.pending.clear();
    await Promise.allSettled([this.opts.upstream.close(), this.opts.agent.close()]);
    this.opts.onClose?.();
  }

  private guard(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      this.opts.logger.error('proxy failed to handle a message', { error: String(error) });
    }
  }

  private fromAgent(message: RelayMessage): void {
    const method = message.method;
    const refusal = method === undefined ? undefined : protocolProblem(message, method, this);
    if (refusal !== undefined) return this.refuse(message, refusal);
    if (method === undefined) {
      if (this.holds?.answered(message)) return; // the client's answer to the proxy's own elicitation
      return this.toUpstream(message); // a reply to a server→client request
    }
    if (message.id === undefined) {
      if (method === 'notifications/cancelled') this.cancelled(message.params?.requestId as RequestId | undefined);
      return this.toUpstream(message);
    }
    if (method === 'tools/call') return this.toolCall(message, message.id);
    if (method === 'initialize') {
      this.initialized = true;
      this.noteClient(message.params);
      this.holds?.noteClientCapabilities(message.params);
    }
    const entry = this.track(message.id, method, message.params);
    if (method === 'tools/list') entry.listSpan = this.opts.recorder.toolsList(this.refreshCtx(), message.id);
    this.forward(message, message.id, entry);
  }

  private toolCall(message: RelayMessage, id: RequestId): void {
    this.toolCalls++;
    const params = message.params ?? {};
    const tool = typeof params.name === 'string' ? params.name : '';
    const ctx = this.refreshCtx();
    const args = params.arguments;
    const decided = this.opts.policy.decide({ tsMs: this.opts.clock.nowMs(), agent: ctx.agent, tool, args, session: ctx.sessionId });
    if (decided instanceof Promise) return this.awaitDecision(decided, message, id);
    this.actOn(decided, message, id);
  }

  /** With shared limits (`--limits`) a limited call's decision arrives later; the session may have closed meanwhile. */
  private awaitDecision(decided: Promise<Decision>, message: RelayMessage, id: RequestId): void {
    // Counted as in flight while Redis decides, so trust rule 2 refuses a reuse of its id.
    this.deciding.add(id);
    decided.then(
      (decision) => {
        this.deciding.delete(id);
        if (!this.closed) this.guard(() => this.actOn(decision, message, id));
      },
      (error: unknown) => {
        this.deciding.delete(id);
        this.opts.logger.error('proxy failed to decide a call', { error: String(error) });
        if (!this.closed) this.toAgent(errorResponse(id, RpcError.INTERNAL_ERROR, 'warden could not decide this call'), id);
      },
    );
  }

  private actOn(decision: Decision, message: RelayMessage, id: RequestId): void {
    const params = message.params ?? {};
    const tool = typeof params.name === 'string' ? params.name : '';
    const args = params.arguments;
    const ctx = this.ctx;
    const enforced = isEnforced(decision.decision, ctx.mode);
    const start: ToolCallStart = { tool, requestId: id, args, decision, enforced };
    const span = this.opts.recorder.toolCall(ctx, start);
    if (decision.decision === 'approval_required' && ctx.mode === 'enforce' && this.holds) return this.hold(message, id, start, span);
    if (decision.decision !== 'allow' && ctx.mode === 'enforce') {
      this.toAgent(refusalResponse(id, decision));
      span.end({ errorType: ErrorType.POLICY_DENIED, message: decision.reason });
      return;
    }
    const entry = this.track(id, 'tools/call', params);
    entry.toolSpan = span;
    // What goes upstream is the serialization of what was decided, never the agent's own bytes.
    this.forward({ ...message }, id, entry);
  }

  inFlight(id: RequestId): boolean {
    return this.pending.has(id) || this.deciding.has(id);
  }

  /** A refused message is answered (when it has an id), never forwarded, and recorded. */
  private refuse(message: RelayMessage, reason: string): void {
    this.recordRefusal(message, reason);
    this.opts.logger.warn('refused a message from the agent', { reason, method: message.method, agent: this.ctx.agent });
    if (message.id !== undefined) this.toAgent(errorResponse(message.id, RpcError.INVALID_REQUEST, `warden: refused: ${reason}`), message.id);
  }

  /** Records a refusal: a denied tools/call span (decided, enforced in both modes), else a protocol span. */
  recordRefusal(message: RelayMessage, reason: string): void {
    recordRefusal(this.opts.recorder, this.opts.policy, this.refreshCtx(), message, reason);
  }

  /** Holds the call until a person decides; approved, it goes upstream as it came; else the agent gets the refusal. */
  private hold(message: RelayMessage, id: RequestId, start: ToolCallStart, span: OpenToolCallSpan): void {
    const holds = this.holds as ApprovalHolds;
    const entry = this.track(id, 'tools/call', message.params);
    entry.toolSpan = span;
    entry.deadline = Number.POSITIVE_INFINITY; // the approval timeout bounds the wait, then --timeout the upstream
    entry.hold = new AbortController();
    void holds.await(start, this.ctx, id, entry.progressToken, entry.hold.signal).then((verdict) => {
      if (this.pending.get(id) !== entry) return; // cancelled or closed while waiting: already settled
      entry.hold = undefined;
      if (verdict.approved) {
        entry.deadline = performance.now() + this.opts.timeoutMs;
        return this.forward({ ...message }, id, entry);
      }
      this.untrack(id, entry);
      this.toAgent(refusalResponse(id, start.decision), id);
      span.end({ errorType: ErrorType.POLICY_DENIED, message: start.decision.reason });
    });
  }

  private fromUpstream(message: RelayMessage): void {
    if (message.method !== undefined) return this.serverMessage(message);
    const id = message.id;
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (id === undefined || entry === undefined) return; // answered already (timeout or cancellation)
    this.untrack(id, entry);
    if (entry.toolSpan) {
      // The agent gets its answer first; the span is recorded while it reads it.
      this.toAgent(message, id);
      return entry.toolSpan.end(toolOutcome(message));
    }
    if (entry.listSpan) {
      message = toolsListed(message, entry.listSpan, this.opts.policy, this.ctx);
    } else if (entry.method === 'initialize') {
      serverIdentified(this.ctx, message.result, this.opts.upstream);
      this.toAgent(message, id);
      return this.opts.onInitialized?.();
    }
    this.toAgent(message, id);
  }

  private serverMessage(message: RelayMessage): void {
    let related: RequestId | undefined;
    if (message.method === 'notifications/progress') {
      related = this.progress.get(message.params?.progressToken as string | number);
      const entry = related === undefined ? undefined : this.pending.get(related);
      if (entry) entry.deadline = performance.now() + this.opts.timeoutMs; // a server reporting progress is alive
    } else if (this.opts.relateServerMessages) {
      for (const key of this.pending.keys()) related = key; // the latest request in flight
    }
    this.toAgent(message, related);
  }

  private track(id: RequestId, method: string, params: Record<string, unknown> | undefined): PendingRequest {
    const entry: PendingRequest = { method, deadline: performance.now() + requestTimeoutMs(method, this.opts.timeoutMs) };
    const token = (params?._meta as { progressToken?: string | number } | undefined)?.progressToken;
    if (token !== undefined) {
      entry.progressToken = token;
      this.progress.set(token, id);
    }
    this.pending.set(id, entry);
    return entry;
  }

  private untrack(id: RequestId, entry: PendingRequest): void {
    this.pending.delete(id);
    if (entry.progressToken !== undefined) this.progress.delete(entry.progressToken);
  }

  private forward(message: RelayMessage, id: RequestId, entry: PendingRequest): void {
    if (this.upstreamGone !== undefined) return this.fail(id, entry, RpcError.CONNECTION_CLOSED, this.upstreamGone);
    this.opts.upstream.send(message).catch((error: unknown) => {
      this.fail(id, entry, RpcError.CONNECTION_CLOSED, `warden: could not reach the upstream MCP server ${this.ctx.upstream}: ${(error as Error).message ?? error}`);
    });
  }

  /** Answers an agent request the upstream will not answer, and closes its span as an upstream error. */
  private fail(id: RequestId, entry: PendingRequest, code: number, message: string): void {
    if (this.pending.get(id) !== entry) return;
    this.untrack(id, entry);
    this.settle(entry, { errorType: ErrorType.UPSTREAM_ERROR, message });
    this.toAgent(errorResponse(id, code, message), id);
  }

  private settle(entry: PendingRequest, outcome: { errorType: string; message: string }): void {
    entry.toolSpan?.end(outcome);
    entry.listSpan?.end(undefined, outcome);
  }

  private expireRequests(): void {
    const now = performance.now();
    for (const [id, entry] of this.pending) if (entry.deadline <= now) this.timedOut(id);
  }

  private timedOut(id: RequestId): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    const limit = formatDurationMs(requestTimeoutMs(entry.method, this.opts.timeoutMs));
    this.fail(id, entry, RpcError.REQUEST_TIMEOUT, `warden: the upstream MCP server ${this.ctx.upstream} did not answer ${entry.method} within ${limit}`);
    this.toUpstream({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: `timed out after ${limit} (warden --timeout)` } } as RelayMessage);
  }

  private cancelled(requestId: RequestId | undefined): void {
    const entry = requestId === undefined ? undefined : this.pending.get(requestId);
    if (requestId === undefined || !entry) return;
    this.untrack(requestId, entry);
    entry.hold?.abort();
    this.settle(entry, { errorType: ERROR_TYPE_CANCELLED, message: 'cancelled by the agent' });
  }

  private onUpstreamClosed(): void {
    if (this.closed) return;
    this.upstreamGone = `warden: the upstream MCP server ${this.ctx.upstream} has exited or closed the connection; the request was not completed`;
    this.opts.logger.error('upstream MCP server closed the connection', { upstream: this.ctx.upstream, in_flight: this.pending.size });
    for (const [id, entry] of [...this.pending]) this.fail(id, entry, RpcError.CONNECTION_CLOSED, this.upstreamGone);
  }

  private onTransportError(side: 'agent' | 'upstream', error: Error): void {
    const reply = this.opts.answerMalformed[side] ? malformedResponse(error) : undefined;
    this.opts.logger.warn(reply ? `malformed JSON-RPC from the ${side}` : `${side} transport error`, { error: error.message.slice(0, 300) });
    if (!reply) return;
    if (side === 'agent') this.toAgent(reply);
    else this.toUpstream(reply as RelayMessage);
  }

  private toAgent(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    const options = relatedRequestId === undefined ? undefined : { relatedRequestId };
    this.opts.agent.send(message, options).catch((error: unknown) => {
      if (!this.closed) this.opts.logger.debug('could not deliver a message to the agent', { error: String(error) });
    });
  }

  private toUpstream(message: RelayMessage): void {
    if (this.upstreamGone !== undefined) return;
    this.opts.upstream.send(message).catch((error: unknown) => {
      this.opts.logger.debug('could not deliver a message upstream', { error: String(error) });
    });
  }

  private noteClient(params: Record<string, unknown> | undefined): void {
    const name = (params?.clientInfo as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && name !== '') this.clientName = name;
    if (this.opts.agentId === undefined && this.opts.allowClientInfoName && this.clientName) this.ctx.agent = this.clientName;
  }

  /** Mode and hash follow policy reloads; the MCP session id appears once Streamable HTTP assigns it. */
  private refreshCtx(): CallContext {
    const ctx = this.ctx;
    ctx.mode = this.opts.policy.mode;
    ctx.policyHash = this.opts.policy.hash;
    if (ctx.sessionId === undefined) ctx.sessionId = this.opts.agent.sessionId;
    return ctx;
  }
}
