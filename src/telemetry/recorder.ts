import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { RecordArgsMode } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { Decision, PolicyMode, RiskClass, ToolAnnotations } from '../policy/types.js';
import { argsAttributes } from './args.js';
import {
  Attr, EVENT_POLICY_RELOADED, EVENT_POLICY_RELOAD_REJECTED, GEN_AI_OPERATION_EXECUTE_TOOL, McpMethod,
  POLICY_RELOAD_SPAN_NAME, TOOLS_LIST_SPAN_NAME, toolCallSpanName,
} from './semconv.js';

/** What every span of one agent session shares; mutable because the upstream names itself only in `initialize`. */
export interface CallContext {
  agent: string;
  upstream: string;
  mode: PolicyMode;
  policyHash: string;
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  networkTransport?: string | undefined;
}

export interface ToolCallStart {
  tool: string;
  requestId: string | number;
  args: unknown;
  decision: Decision;
  enforced: boolean;
}

export interface CallOutcome {
  /** `error.type`: tool_error, policy_denied, upstream_error, cancelled. */
  errorType?: string;
  message?: string;
}

export interface ToolInventoryEntry {
  name: string;
  annotations?: ToolAnnotations | undefined;
  risk: RiskClass;
  hidden?: boolean;
}

export interface OpenToolCallSpan {
  end(outcome?: CallOutcome): void;
}

export interface OpenToolsListSpan {
  end(tools: ToolInventoryEntry[] | undefined, outcome?: CallOutcome): void;
}

export interface PolicyReloadEvent {
  ok: boolean;
  source: string;
  hash?: string;
  reason?: string;
}

/**
 * The proxy's seam to telemetry: one span per decided `tools/call` and per `tools/list`.
 * Implementations never throw into the caller; recording is best effort by design.
 */
export interface DecisionRecorder {
  toolCall(ctx: CallContext, call: ToolCallStart): OpenToolCallSpan;
  toolsList(ctx: CallContext, requestId: string | number): OpenToolsListSpan;
  policyReload(event: PolicyReloadEvent): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NOOP_CALL: OpenToolCallSpan = { end: () => {} };
const NOOP_LIST: OpenToolsListSpan = { end: () => {} };

export class OtelDecisionRecorder implements DecisionRecorder {
  private failures = 0;

  constructor(
    private readonly tracer: Tracer,
    private readonly recordArgs: RecordArgsMode,
    private readonly logger: Logger,
    private readonly lifecycle: { forceFlush(): Promise<void>; shutdown(): Promise<void> },
  ) {}

  /**
   * Only the start time and the session's attributes are taken here, on the call's way in;
   * the span is built when the call ends, after the proxy has passed the reply on, so the
   * arguments hash and the span bookkeeping never sit between the agent and its server.
   */
  toolCall(ctx: CallContext, call: ToolCallStart): OpenToolCallSpan {
    try {
      const startTime = epochMs();
      const session: CallContext = { ...ctx }; // as it was when the call came in
      return { end: (outcome) => this.recordToolCall(session, call, startTime, outcome) };
    } catch (error) {
      this.noteFailure(error);
      return NOOP_CALL;
    }
  }

  toolsList(ctx: CallContext, requestId: string | number): OpenToolsListSpan {
    try {
      const span = this.tracer.startSpan(TOOLS_LIST_SPAN_NAME, { kind: SpanKind.SERVER });
      setContextAttributes(span, ctx, McpMethod.TOOLS_LIST, requestId);
      return {
        end: (tools, outcome) => {
          try {
            if (tools) span.setAttribute(Attr.TOOLS, JSON.stringify(tools));
          } catch (error) {
            this.noteFailure(error);
          }
          this.finish(span, outcome);
        },
      };
    } catch (error) {
      this.noteFailure(error);
      return NOOP_LIST;
    }
  }

  policyReload(event: PolicyReloadEvent): void {
    try {
      const span = this.tracer.startSpan(POLICY_RELOAD_SPAN_NAME, { kind: SpanKind.INTERNAL });
      const attrs: Attributes = { [Attr.RELOAD_SOURCE]: event.source };
      if (event.hash !== undefined) attrs[Attr.POLICY_HASH] = event.hash;
      if (event.reason !== undefined) attrs[Attr.RELOAD_REASON] = event.reason;
      span.addEvent(event.ok ? EVENT_POLICY_RELOADED : EVENT_POLICY_RELOAD_REJECTED, attrs);
      if (!event.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: event.reason ?? 'policy reload rejected' });
      span.end();
    } catch (error) {
      this.noteFailure(error);
    }
  }

  forceFlush(): Promise<void> {
    return this.lifecycle.forceFlush().catch((error: unknown) => this.noteFailure(error));
  }

  shutdown(): Promise<void> {
    return this.lifecycle.shutdown().catch((error: unknown) => this.noteFailure(error));
  }

  /**
   * Attributes go onto the span one by one rather than through startSpan's options: that path
   * copies them twice (sampler input, then the span), and at thousands of calls a second
   * allocation is what the proxy's memory and tail latency are made of.
   */
  private recordToolCall(session: CallContext, call: ToolCallStart, startTime: number, outcome: CallOutcome | undefined): void {
    try {
      const endTime = epochMs();
      const span = this.tracer.startSpan(toolCallSpanName(call.tool), { kind: SpanKind.SERVER, startTime });
      setContextAttributes(span, session, McpMethod.TOOLS_CALL, call.requestId);
      span.setAttribute(Attr.GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_EXECUTE_TOOL);
      span.setAttribute(Attr.GEN_AI_TOOL_NAME, call.tool);
      setDecisionAttributes(span, call.decision, call.enforced);
      span.setAttributes(argsAttributes(this.recordArgs, call.args));
      this.finish(span, outcome, endTime);
    } catch (error) {
      this.noteFailure(error);
    }
  }

  private finish(span: Span, outcome: CallOutcome | undefined, endTime?: number): void {
    try {
      if (outcome?.errorType) {
        span.setAttribute(Attr.ERROR_TYPE, outcome.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.errorType });
      }
      span.end(endTime);
    } catch (error) {
      this.noteFailure(error);
    }
  }

  private noteFailure(error: unknown): void {
    // Telemetry must not break calls; say so once, then count quietly.
    if (this.failures++ === 0) this.logger.warn('telemetry failed; continuing without it for this span', { error: String(error) });
  }
}

/** Wall-clock milliseconds with sub-millisecond precision (the OTel SDK keeps the fraction). */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

function setContextAttributes(span: Span, ctx: CallContext, method: string, requestId: string | number): void {
  span.setAttribute(Attr.MCP_METHOD_NAME, method);
  span.setAttribute(Attr.GEN_AI_AGENT_ID, ctx.agent);
  span.setAttribute(Attr.JSONRPC_REQUEST_ID, String(requestId));
  span.setAttribute(Attr.MODE, ctx.mode);
  span.setAttribute(Attr.POLICY_HASH, ctx.policyHash);
  span.setAttribute(Attr.UPSTREAM, ctx.upstream);
  if (ctx.sessionId !== undefined) span.setAttribute(Attr.MCP_SESSION_ID, ctx.sessionId);
  if (ctx.protocolVersion !== undefined) span.setAttribute(Attr.MCP_PROTOCOL_VERSION, ctx.protocolVersion);
  if (ctx.networkTransport !== undefined) span.setAttribute(Attr.NETWORK_TRANSPORT, ctx.networkTransport);
}

function setDecisionAttributes(span: Span, decision: Decision, enforced: boolean): void {
  span.setAttribute(Attr.DECISION, decision.decision);
  span.setAttribute(Attr.ENFORCED, enforced);
  span.setAttribute(Attr.RULE, decision.rule);
  span.setAttribute(Attr.REASON, decision.reason);
  span.setAttribute(Attr.TOOL_RISK, decision.risk);
  if (decision.limit) {
    span.setAttribute(Attr.LIMIT_COUNTER, decision.limit.counter);
    span.setAttribute(Attr.LIMIT_COUNT, decision.limit.count);
    span.setAttribute(Attr.LIMIT_MAX, decision.limit.max);
    span.setAttribute(Attr.LIMIT_WINDOW_S, decision.limit.windowS);
  }
}
