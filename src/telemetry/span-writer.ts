import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { RecordArgsMode } from '../config/index.js';
import type { Decision } from '../policy/index.js';
import { argsAttributes } from './args.js';
import type { CallContext, CallOutcome, RecordSink, TelemetryRecord } from './recorder.js';
import {
  Attr, ErrorType, PROTOCOL_RULE, EVENT_POLICY_RELOADED, EVENT_POLICY_RELOAD_REJECTED, GEN_AI_OPERATION_EXECUTE_TOOL, McpMethod,
  POLICY_RELOAD_SPAN_NAME, TOOLS_LIST_SPAN_NAME, toolCallSpanName,
} from './semconv.js';

/**
 * Turns records into OTel spans on a tracer (whose provider batches and exports them).
 * Attributes go onto the span one by one rather than through startSpan's options: that path
 * copies them twice (sampler input, then the span), and at thousands of calls a second the
 * second allocation is what the process's memory is made of.
 */
export class SpanWriter implements RecordSink {
  constructor(
    private readonly tracer: Tracer,
    private readonly recordArgs: RecordArgsMode,
    private readonly lifecycle: { forceFlush(): Promise<void>; shutdown(): Promise<void> },
    private readonly argsHashKey?: Uint8Array,
  ) {}

  write(record: TelemetryRecord): void {
    if (record.kind === 'call') this.toolCall(record);
    else if (record.kind === 'list') this.toolsList(record);
    else if (record.kind === 'refusal') this.protocolRefusal(record);
    else this.policyReload(record);
  }

  forceFlush(): Promise<void> {
    return this.lifecycle.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.lifecycle.shutdown();
  }

  private toolCall({ ctx, call, startTime, endTime, outcome }: Extract<TelemetryRecord, { kind: 'call' }>): void {
    const span = this.tracer.startSpan(toolCallSpanName(call.tool), { kind: SpanKind.SERVER, startTime });
    setContextAttributes(span, ctx, McpMethod.TOOLS_CALL, call.requestId);
    span.setAttribute(Attr.GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_EXECUTE_TOOL);
    span.setAttribute(Attr.GEN_AI_TOOL_NAME, call.tool);
    setDecisionAttributes(span, call.decision, call.enforced);
    span.setAttributes(argsAttributes(this.recordArgs, call.args, {}, this.argsHashKey));
    if (call.approval) {
      span.setAttribute(Attr.APPROVAL_ID, call.approval.id);
      span.setAttribute(Attr.APPROVAL_OUTCOME, call.approval.outcome);
      span.setAttribute(Attr.APPROVAL_BY, call.approval.by);
      span.setAttribute(Attr.APPROVAL_WAIT_MS, Math.round(call.approval.waitMs));
    }
    finish(span, outcome, endTime);
  }

  private toolsList({ ctx, requestId, startTime, endTime, tools, outcome }: Extract<TelemetryRecord, { kind: 'list' }>): void {
    const span = this.tracer.startSpan(TOOLS_LIST_SPAN_NAME, { kind: SpanKind.SERVER, startTime });
    setContextAttributes(span, ctx, McpMethod.TOOLS_LIST, requestId);
    if (tools) span.setAttribute(Attr.TOOLS, JSON.stringify(tools));
    finish(span, outcome, endTime);
  }

  private protocolRefusal({ ctx, refusal, time }: Extract<TelemetryRecord, { kind: 'refusal' }>): void {
    const span = this.tracer.startSpan(refusal.method || 'jsonrpc', { kind: SpanKind.SERVER, startTime: time });
    setContextAttributes(span, ctx, refusal.method, refusal.requestId ?? '');
    span.setAttribute(Attr.DECISION, 'deny');
    span.setAttribute(Attr.ENFORCED, true);
    span.setAttribute(Attr.RULE, PROTOCOL_RULE);
    span.setAttribute(Attr.REASON, refusal.reason);
    finish(span, { errorType: ErrorType.POLICY_DENIED, message: refusal.reason }, time);
  }

  private policyReload({ event, time }: Extract<TelemetryRecord, { kind: 'reload' }>): void {
    const span = this.tracer.startSpan(POLICY_RELOAD_SPAN_NAME, { kind: SpanKind.INTERNAL, startTime: time });
    const attrs: Attributes = { [Attr.RELOAD_SOURCE]: event.source };
    if (event.hash !== undefined) attrs[Attr.POLICY_HASH] = event.hash;
    if (event.reason !== undefined) attrs[Attr.RELOAD_REASON] = event.reason;
    span.addEvent(event.ok ? EVENT_POLICY_RELOADED : EVENT_POLICY_RELOAD_REJECTED, attrs, time);
    if (!event.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: event.reason ?? 'policy reload rejected' });
    span.end(time);
  }
}

function finish(span: Span, outcome: CallOutcome | undefined, endTime: number): void {
  if (outcome?.errorType) {
    span.setAttribute(Attr.ERROR_TYPE, outcome.errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.errorType });
  }
  span.end(endTime);
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
  if (decision.limitBackend !== undefined) span.setAttribute(Attr.LIMIT_BACKEND, decision.limitBackend);
}
