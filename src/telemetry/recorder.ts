import type { Logger } from '../core/index.js';
import type { Decision, PolicyMode, RiskClass, ToolAnnotations } from '../policy/index.js';

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
  /** Set when the call was held for a person's decision; filled in before the span ends. */
  approval?: ApprovalRecord;
}

/** How a held call was decided: `approved` (it ran), `denied`, or `expired` (no answer in time). */
export interface ApprovalRecord {
  /** serve's approval id, or `elicitation` when the person at the client was asked. */
  id: string;
  outcome: 'approved' | 'denied' | 'expired';
  by: string;
  waitMs: number;
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

/** A message the proxy refused before any policy decision (trust rules): not forwarded, recorded. */
export interface ProtocolRefusal {
  method: string;
  requestId: string | number | undefined;
  reason: string;
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
  /** A refused non-`tools/call` message (a second initialize, a reused id, duplicate keys). */
  protocolRefusal(ctx: CallContext, refusal: ProtocolRefusal): void;
  policyReload(event: PolicyReloadEvent): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A finished call, list or reload as plain data: what a span is built from. Records carry
 * their own wall-clock times, so when the span is built (after the reply is out) does not
 * change it.
 */
export type TelemetryRecord =
  | { kind: 'call'; ctx: CallContext; call: ToolCallStart; startTime: number; endTime: number; outcome?: CallOutcome | undefined }
  | {
    kind: 'list'; ctx: CallContext; requestId: string | number; startTime: number; endTime: number;
    tools?: ToolInventoryEntry[] | undefined; outcome?: CallOutcome | undefined;
  }
  | { kind: 'reload'; event: PolicyReloadEvent; time: number }
  | { kind: 'refusal'; ctx: CallContext; refusal: ProtocolRefusal; time: number };

/** Where records go: SpanWriter turns them into OTel spans; tests may collect them instead. */
export interface RecordSink {
  write(record: TelemetryRecord): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NOOP_CALL: OpenToolCallSpan = { end: () => {} };
const NOOP_LIST: OpenToolsListSpan = { end: () => {} };

/**
 * The proxy's recorder: on the call's way in it takes only the start time and a snapshot of
 * the session; when the call ends (after the reply has been passed on) it hands one record
 * to the sink. Nothing here throws into the relay.
 */
export class RecordingDecisionRecorder implements DecisionRecorder {
  private failures = 0;

  constructor(private readonly sink: RecordSink, private readonly logger: Logger) {}

  toolCall(ctx: CallContext, call: ToolCallStart): OpenToolCallSpan {
    try {
      const startTime = epochMs();
      const session: CallContext = { ...ctx }; // as it was when the call came in
      return { end: (outcome) => this.write({ kind: 'call', ctx: session, call, startTime, endTime: epochMs(), outcome }) };
    } catch (error) {
      this.noteFailure(error);
      return NOOP_CALL;
    }
  }

  toolsList(ctx: CallContext, requestId: string | number): OpenToolsListSpan {
    try {
      const startTime = epochMs();
      const session: CallContext = { ...ctx };
      return { end: (tools, outcome) => this.write({ kind: 'list', ctx: session, requestId, startTime, endTime: epochMs(), tools, outcome }) };
    } catch (error) {
      this.noteFailure(error);
      return NOOP_LIST;
    }
  }

  policyReload(event: PolicyReloadEvent): void {
    this.write({ kind: 'reload', event, time: epochMs() });
  }

  protocolRefusal(ctx: CallContext, refusal: ProtocolRefusal): void {
    this.write({ kind: 'refusal', ctx: { ...ctx }, refusal, time: epochMs() });
  }

  forceFlush(): Promise<void> {
    return this.sink.forceFlush().catch((error: unknown) => this.noteFailure(error));
  }

  shutdown(): Promise<void> {
    return this.sink.shutdown().catch((error: unknown) => this.noteFailure(error));
  }

  private write(record: TelemetryRecord): void {
    try {
      this.sink.write(record);
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
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
