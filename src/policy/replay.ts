/**
 * Line-by-line evaluation of recorded calls (`warden policy eval`, replays): one NDJSON call in,
 * the same line plus the decision out. Pure string work; the caller owns the streams. Time comes
 * from each line's `ts`, never the wall clock, so the same input always gives the same output.
 */
import type { PolicyEngine } from './engine.js';
import { isEnforced, type Decision, type DecisionKind, type LimitOutcome, type PolicyMode, type ToolCall } from './types.js';

export type LineResult = { ok: true; output: string; decision: Decision } | { ok: false; error: string };

/** Bound on cached encodings (rate-limit reasons vary with the retry time). */
const MAX_ENCODED = 10_000;
/** Keys the evaluator appends; an input already carrying one is re-serialised instead of spliced. */
const OUTPUT_KEYS = new Set(['decision', 'rule', 'reason', 'risk', 'enforced', 'limit']);

export class CallLineEvaluator {
  private readonly timestamps = new TimestampParser();
  readonly counts: Record<DecisionKind, number> = { allow: 0, deny: 0, rate_limited: 0, invalid_arguments: 0, approval_required: 0 };

  constructor(
    private readonly engine: PolicyEngine,
    private readonly mode: PolicyMode,
  ) {}

  evaluate(line: string): LineResult {
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch (e) {
      return { ok: false, error: `not valid JSON (${(e as Error).message})` };
    }
    const call = toCall(input, this.timestamps);
    if (typeof call === 'string') return { ok: false, error: call };
    const decision = this.engine.decide(call);
    this.counts[decision.decision]++;
    return { ok: true, output: this.render(line, input as Record<string, unknown>, decision), decision };
  }

  /** Encoded `"rule":…,"reason":…` per rule and reason; most decisions repeat a handful of texts. */
  private readonly encoded = new Map<string, Map<string, string>>();
  private encodedCount = 0;

  private encodeRuleReason(rule: string, reason: string): string {
    let byReason = this.encoded.get(rule);
    if (byReason === undefined) {
      byReason = new Map();
      this.encoded.set(rule, byReason);
    }
    let text = byReason.get(reason);
    if (text === undefined) {
      if (++this.encodedCount > MAX_ENCODED) {
        this.encoded.clear();
        this.encodedCount = 0;
      }
      text = `"rule":${JSON.stringify(rule)},"reason":${JSON.stringify(reason)}`;
      byReason.set(reason, text);
    }
    return text;
  }

  private readonly counterNames = new Map<string, string>();

  private encodeCounter(counter: string): string {
    let text = this.counterNames.get(counter);
    if (text === undefined) {
      if (this.counterNames.size >= MAX_ENCODED) this.counterNames.clear();
      text = JSON.stringify(counter);
      this.counterNames.set(counter, text);
    }
    return text;
  }

  private render(line: string, input: Record<string, unknown>, d: Decision): string {
    const enforced = isEnforced(d.decision, this.mode);
    let fields = `"decision":"${d.decision}",${this.encodeRuleReason(d.rule, d.reason)},"risk":"${d.risk}","enforced":${enforced}`;
    if (d.limit !== undefined) fields += `,"limit":${encodeLimit(d.limit, this.encodeCounter(d.limit.counter))}`;
    if (hasOutputKey(input)) {
      const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !OUTPUT_KEYS.has(k)));
      const body = JSON.stringify(rest);
      return body === '{}' ? `{${fields}}` : `${body.slice(0, -1)},${fields}}`;
    }
    // Splice into the original text: keeps the caller's formatting and costs no re-serialisation.
    const end = line.lastIndexOf('}');
    return `${line.slice(0, end)},${fields}}`;
  }
}

/** Plain property reads (not a loop over OUTPUT_KEYS): lines share a shape, so these stay cheap. */
function hasOutputKey(input: Record<string, unknown>): boolean {
  return (
    input.decision !== undefined || input.rule !== undefined || input.reason !== undefined ||
    input.risk !== undefined || input.enforced !== undefined || input.limit !== undefined
  );
}

/** Same text as JSON.stringify(limit), without its generic walk. */
function encodeLimit(l: LimitOutcome, counter: string): string {
  const retry = l.retryAfterMs === undefined ? '' : `,"retryAfterMs":${l.retryAfterMs}`;
  return `{"counter":${counter},"count":${l.count},"max":${l.max},"windowS":${l.windowS}${retry}}`;
}

const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Date.parse for recorded timestamps, fast for the common `YYYY-MM-DDTHH:MM:SS.sssZ` form:
 * consecutive lines usually share their minute, so only seconds and milliseconds are read.
 */
export class TimestampParser {
  private minutePrefix = '';
  private minuteMs = 0;

  parse(text: string): number {
    if (text.length !== 24 || !text.startsWith(this.minutePrefix) || this.minutePrefix === '') return this.slow(text);
    const s1 = text.charCodeAt(17) - 48;
    const s2 = text.charCodeAt(18) - 48;
    const m1 = text.charCodeAt(20) - 48;
    const m2 = text.charCodeAt(21) - 48;
    const m3 = text.charCodeAt(22) - 48;
    if (!(s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9 && m1 >= 0 && m1 <= 9 && m2 >= 0 && m2 <= 9 && m3 >= 0 && m3 <= 9) || text.charCodeAt(23) !== 90) {
      return this.slow(text);
    }
    return this.minuteMs + (s1 * 10 + s2) * 1000 + m1 * 100 + m2 * 10 + m3;
  }

  private slow(text: string): number {
    const ms = Date.parse(text);
    if (ISO_UTC_MS.test(text) && !Number.isNaN(ms)) {
      this.minutePrefix = text.slice(0, 17);
      this.minuteMs = Date.parse(`${this.minutePrefix}00.000Z`);
    }
    return ms;
  }
}

/** Validates one parsed line into a call, or says what is wrong with it. */
export function toCall(input: unknown, timestamps?: TimestampParser): ToolCall | string {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'expected a JSON object';
  const record = input as Record<string, unknown>;
  const { ts, agent, tool, session } = record;
  if (typeof tool !== 'string' || tool === '') return 'missing "tool" (a non-empty string)';
  if (typeof agent !== 'string') return 'missing "agent" (a string)';
  let tsMs: number;
  if (typeof ts === 'number' && Number.isFinite(ts)) tsMs = ts;
  else if (typeof ts === 'string') tsMs = timestamps === undefined ? Date.parse(ts) : timestamps.parse(ts);
  else return 'missing "ts" (ISO-8601 text or epoch milliseconds)';
  if (Number.isNaN(tsMs)) return `"ts" is not a valid time: ${JSON.stringify(ts)}`;
  if (session !== undefined && session !== null && typeof session !== 'string') return '"session" must be a string';
  const call: ToolCall = { tsMs, agent, tool };
  if (record.args !== undefined) call.args = record.args;
  if (typeof session === 'string') call.session = session;
  return call;
}
