/**
 * A seeded, Total-Recall-like workload: several agents over days (session_start →
 * load_context / task_list reads → correct / approve_suggestion writes → session_close per
 * conversation), a legitimate nightly batch, and injected, LABELLED anomalies. Same seed,
 * same calls. Writers (OTLP to a running serve, or direct rows) live in workload-writers.ts.
 */
import { createHash } from 'node:crypto';

export const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

export const TOOL_RISK: Record<string, string> = {
  session_start: 'execute', session_close: 'write', load_context: 'read', task_list: 'read', correct: 'execute',
  approve_suggestion: 'write', export_knowledge: 'write', doctor: 'execute', forget: 'destructive', sync: 'read',
};
export const UPSTREAM = 'total-recall';

export interface GeneratedCall {
  tsMs: number;
  traceId: string;
  spanId: string;
  agent: string;
  session: string;
  tool: string;
  risk: string;
  decision: string;
  enforced: boolean;
  mode: 'audit' | 'enforce';
  argsHash: string;
  isError: boolean;
  durationMs: number;
}

export type ScenarioKind = 'session_close_storm' | 'identical_call_loop' | 'new_tool' | 'slow_ramp' | 'retry_after_denial' | 'error_loop';

export interface AnomalyLabel {
  kind: ScenarioKind;
  /** The anomaly type a detector must report for this scenario. */
  expected: string;
  agent: string;
  tool: string;
  startMs: number;
  endMs: number;
  spanIds: string[];
  /** For runaway scenarios: the calls beyond normal behaviour that a good policy refuses. */
  excessSpanIds: string[];
}

export interface Workload {
  startMs: number;
  endMs: number;
  calls: GeneratedCall[];
  labels: AnomalyLabel[];
  normalAgents: string[];
  offeredTools: string[];
}

export interface WorkloadOptions {
  seed?: number;
  endMs?: number;
  days?: number;
  scenarios?: readonly ScenarioKind[];
  /** Interactive agents and their daily conversations (default: INTERACTIVE_AGENTS). */
  agents?: readonly AgentProfile[];
}

export const ALL_SCENARIOS: readonly ScenarioKind[] = ['session_close_storm', 'identical_call_loop', 'new_tool', 'slow_ramp', 'retry_after_denial', 'error_loop'];

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Builder {
  readonly calls: GeneratedCall[] = [];
  private n = 0;
  constructor(readonly rand: () => number, private readonly seed: number) {}

  id(bytes: number): string {
    this.n += 1;
    return createHash('sha256').update(`${this.seed}:${this.n}`).digest('hex').slice(0, bytes * 2);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  call(tsMs: number, agent: string, session: string, tool: string, over: Partial<GeneratedCall> = {}): GeneratedCall {
    const c: GeneratedCall = {
      tsMs: Math.round(tsMs), traceId: this.id(16), spanId: this.id(8), agent, session, tool,
      risk: TOOL_RISK[tool] ?? 'write', decision: 'allow', enforced: true, mode: 'audit',
      argsHash: this.id(32), isError: false, durationMs: this.int(2, 40), ...over,
    };
    this.calls.push(c);
    return c;
  }

  /** One conversation: start, reads, writes, close; returns the time it ended. */
  conversation(t0: number, agent: string, everyTool: boolean, gapMs: readonly [number, number] = [2_000, 90_000]): number {
    const session = `${agent}-${this.id(6)}`;
    let t = t0;
    const gap = () => (t += this.int(gapMs[0], gapMs[1]));
    this.call(t, agent, session, 'session_start');
    for (let i = this.int(1, 4); i > 0; i--) this.call(gap(), agent, session, 'load_context');
    for (let i = everyTool ? 1 : this.int(0, 2); i > 0; i--) this.call(gap(), agent, session, 'task_list');
    for (let i = everyTool ? 1 : this.int(0, 2); i > 0; i--) this.call(gap(), agent, session, 'correct');
    if (everyTool || this.rand() < 0.35) this.call(gap(), agent, session, 'approve_suggestion');
    this.call(gap(), agent, session, 'session_close');
    return t;
  }
}

export interface AgentProfile {
  agent: string;
  perDay: number;
  fromHour: number;
  toHour: number;
  /** Pause between calls in a conversation, ms (default 2 s to 90 s). */
  gapMs?: readonly [number, number];
}

export const INTERACTIVE_AGENTS: readonly AgentProfile[] = [
  { agent: 'claude-desktop', perDay: 10, fromHour: 8, toHour: 20 },
  { agent: 'cursor', perDay: 14, fromHour: 7, toHour: 22 },
  { agent: 'researcher', perDay: 6, fromHour: 9, toHour: 18 },
  { agent: 'ci-bot', perDay: 4, fromHour: 0, toHour: 24 },
];

export function generateWorkload(opts: WorkloadOptions = {}): Workload {
  const seed = opts.seed ?? 42;
  const days = opts.days ?? 7;
  const endMs = opts.endMs ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const startMs = endMs - days * DAY_MS;
  const b = new Builder(prng(seed), seed);
  const interactive = opts.agents ?? INTERACTIVE_AGENTS;
  for (let d = 0; d < days; d++) {
    const day = startMs + d * DAY_MS;
    for (const p of interactive) {
      for (let i = 0; i < p.perDay; i++) {
        const t0 = day + p.fromHour * 3_600_000 + b.rand() * (p.toHour - p.fromHour - 1) * 3_600_000;
        b.conversation(t0, p.agent, d === 0 && i === 0, p.gapMs);
      }
    }
    nightlyBatch(b, day + 2 * 3_600_000 + b.int(0, 600) * 1000);
  }
  const labels: AnomalyLabel[] = [];
  const scenarios = opts.scenarios ?? ALL_SCENARIOS;
  for (const kind of scenarios) labels.push(SCENARIOS[kind](b, endMs));
  b.calls.sort((x, y) => x.tsMs - y.tsMs || x.spanId.localeCompare(y.spanId));
  return {
    startMs, endMs, calls: b.calls, labels,
    normalAgents: [...interactive.map((p) => p.agent), 'nightly-batch'],
    offeredTools: Object.keys(TOOL_RISK),
  };
}

/** A legitimate high-volume agent: ~50 approvals a minute for a bit over a minute, nightly. */
function nightlyBatch(b: Builder, t0: number): void {
  const session = `nightly-${b.id(6)}`;
  let t = t0;
  b.call(t, 'nightly-batch', session, 'session_start');
  b.call((t += 1500), 'nightly-batch', session, 'load_context');
  for (let i = 0; i < 60; i++) b.call((t += 1200), 'nightly-batch', session, 'approve_suggestion');
  for (let i = 0; i < 20; i++) b.call((t += 3000), 'nightly-batch', session, 'correct');
  b.call((t += 2000), 'nightly-batch', session, 'session_close');
}

function label(kind: ScenarioKind, expected: string, calls: GeneratedCall[], excess: GeneratedCall[] = []): AnomalyLabel {
  const first = calls[0] as GeneratedCall;
  return {
    kind, expected, agent: first.agent, tool: first.tool,
    startMs: Math.min(...calls.map((c) => c.tsMs)), endMs: Math.max(...calls.map((c) => c.tsMs)) + 1,
    spanIds: calls.map((c) => c.spanId), excessSpanIds: excess.map((c) => c.spanId),
  };
}

const SCENARIOS: Record<ScenarioKind, (b: Builder, endMs: number) => AnomalyLabel> = {
  /** A runaway agent closing the same session 400 times in 100 s. */
  session_close_storm(b, endMs) {
    const t0 = endMs - 6 * 3_600_000 + 17_000;
    const session = `cursor-${b.id(6)}`;
    b.call(t0, 'cursor', session, 'session_start');
    b.call(t0 + 5_000, 'cursor', session, 'load_context');
    const closes = Array.from({ length: 400 }, (_, i) => b.call(t0 + 10_000 + i * 250, 'cursor', session, 'session_close'));
    return label('session_close_storm', 'bulk_write_burst', closes, closes.slice(1));
  },
  identical_call_loop(b, endMs) {
    const t0 = endMs - 10 * 3_600_000 + 3_000;
    const session = `claude-desktop-${b.id(6)}`;
    const argsHash = b.id(32);
    b.call(t0, 'claude-desktop', session, 'session_start');
    const loop = Array.from({ length: 15 }, (_, i) => b.call(t0 + 4_000 * (i + 1), 'claude-desktop', session, 'load_context', { argsHash }));
    return label('identical_call_loop', 'repeat_loop', loop);
  },
  new_tool(b, endMs) {
    const t0 = endMs - 8 * 3_600_000 + 45_000;
    const session = `ci-bot-${b.id(6)}`;
    const calls = [0, 20_000].map((dt) => b.call(t0 + dt, 'ci-bot', session, 'export_knowledge'));
    return label('new_tool', 'new_tool', calls);
  },
  /** A background poller whose interval shrinks from 10 min to 6 s over 35 hours. */
  slow_ramp(b, endMs) {
    const start = endMs - 36 * 3_600_000;
    const stop = endMs - 3_600_000;
    const k = Math.log(100) / (stop - start);
    const calls: GeneratedCall[] = [];
    for (let t = start; t < stop; t += 600_000 * Math.exp(-k * (t - start))) calls.push(b.call(t, 'researcher', 'researcher-poller', 'task_list'));
    return label('slow_ramp', 'rate_spike', calls);
  },
  /** ci-bot rate-limited in enforce mode, retrying every 4 s for two minutes. */
  retry_after_denial(b, endMs) {
    const t0 = endMs - 4 * 3_600_000 + 9_000;
    const session = `ci-bot-${b.id(6)}`;
    const calls = Array.from({ length: 30 }, (_, i) =>
      b.call(t0 + i * 4_000, 'ci-bot', session, 'correct', { decision: 'rate_limited', enforced: true, mode: 'enforce' }));
    return label('retry_after_denial', 'deny_storm', calls);
  },
  error_loop(b, endMs) {
    const t0 = endMs - 12 * 3_600_000 + 21_000;
    const session = `claude-desktop-${b.id(6)}`;
    const argsHash = b.id(32);
    const calls = Array.from({ length: 8 }, (_, i) => b.call(t0 + i * 6_000, 'claude-desktop', session, 'correct', { isError: true, argsHash }));
    return label('error_loop', 'error_loop', calls);
  },
};

/** Matches flags to labels: same agent and overlapping time (± slack). */
export function scoreDetection<L extends Pick<AnomalyLabel, 'expected' | 'agent' | 'startMs' | 'endMs'>>(
  flags: ReadonlyArray<{ type: string; agent: string; start: string; end: string }>,
  labels: readonly L[],
  slackMs = MIN_MS,
): { recall: number; precision: number; missed: L[]; falsePositives: typeof flags[number][] } {
  const overlaps = (f: (typeof flags)[number], l: L) =>
    f.agent === l.agent && Date.parse(f.start) <= l.endMs + slackMs && Date.parse(f.end) >= l.startMs - slackMs;
  const missed = labels.filter((l) => !flags.some((f) => f.type === l.expected && overlaps(f, l)));
  const falsePositives = flags.filter((f) => !labels.some((l) => overlaps(f, l)));
  return {
    recall: labels.length === 0 ? 1 : (labels.length - missed.length) / labels.length,
    precision: flags.length === 0 ? 1 : (flags.length - falsePositives.length) / flags.length,
    missed,
    falsePositives,
  };
}
