/**
 * A seeded, labelled multi-day workload for judging a suggested policy on days it did not
 * learn from (the forward test). It has what makes "tomorrow" differ from "last week":
 * - weekday/weekend: interactive agents hold far fewer conversations on Saturday and Sunday;
 * - hour-of-day: conversations cluster in office hours (a morning and an afternoon peak);
 * - growth: `growing` polls task_list at a rate that grows 4 % a day;
 * - a nightly batch (`nightly-batch`) with legitimate bursts of approvals that vary night to night;
 * - a rarely used tool: `researcher` exports the knowledge base a few times a week;
 * - a NEW runaway in the replayed days only (from `runawayFromDay`): `cursor` closing one
 *   session hundreds of times, and `ci-bot` looping on load_context for twenty minutes.
 * Runaway calls are labelled, and so is their excess (what a good policy refuses).
 */
import { DAY_MS, TOOL_RISK, prng, type AnomalyLabel, type GeneratedCall, type Workload } from './generate.js';

const HOUR_MS = 3_600_000;
const MIN_MS = 60_000;

export interface SeasonalOptions {
  seed?: number;
  /** Midnight UTC of the first day; default Monday 2026-11-09. */
  startMs?: number;
  days?: number;
  /** 0-based day from which the runaways appear (default 7: days 8–10 of 10). */
  runawayFromDay?: number;
}

class Calls {
  readonly list: GeneratedCall[] = [];
  private n = 0;
  constructor(readonly rand: () => number, private readonly seed: number) {}

  id(hexChars: number): string {
    this.n += 1;
    const base = `${this.seed.toString(16)}${this.n.toString(16).padStart(10, '0')}`;
    return base.padStart(hexChars, '0').slice(-hexChars);
  }

  add(tsMs: number, agent: string, session: string, tool: string): GeneratedCall {
    const c: GeneratedCall = {
      tsMs: Math.round(tsMs), traceId: this.id(32), spanId: this.id(16), agent, session, tool, risk: TOOL_RISK[tool] ?? 'write',
      decision: 'allow', enforced: false, mode: 'audit', argsHash: this.id(64), isError: false, durationMs: 5,
    };
    this.list.push(c);
    return c;
  }

  /** A time in [dayMs, dayMs + 1 d) drawn from an office-hours profile (peaks at 10–12 and 14–16 UTC). */
  officeTime(dayMs: number): number {
    const r = this.rand();
    const hour = r < 0.35 ? 10 + 2 * this.rand() : r < 0.7 ? 14 + 2 * this.rand() : r < 0.95 ? 8 + 10 * this.rand() : 24 * this.rand();
    return dayMs + hour * HOUR_MS;
  }

  conversation(t0: number, agent: string, tools: readonly string[]): void {
    const session = `${agent}-${this.id(8)}`;
    let t = t0;
    this.add(t, agent, session, 'session_start');
    for (const tool of tools) this.add((t += 3_000 + this.rand() * 60_000), agent, session, tool);
    this.add((t += 2_000 + this.rand() * 30_000), agent, session, 'session_close');
  }
}

const INTERACTIVE = [
  { agent: 'claude-desktop', weekday: 24 },
  { agent: 'cursor', weekday: 30 },
  { agent: 'researcher', weekday: 12 },
  { agent: 'ci-bot', weekday: 10 },
] as const;

export function generateSeasonalWorkload(opts: SeasonalOptions = {}): Workload {
  const seed = opts.seed ?? 7;
  const days = opts.days ?? 10;
  const startMs = opts.startMs ?? Date.parse('2026-11-09T00:00:00Z');
  const runawayFrom = opts.runawayFromDay ?? 7;
  const b = new Calls(prng(seed), seed);
  for (let d = 0; d < days; d++) {
    const day = startMs + d * DAY_MS;
    const weekend = [0, 6].includes(new Date(day).getUTCDay());
    for (const p of INTERACTIVE) {
      const n = Math.round(p.weekday * (weekend ? 0.25 : 1) * (0.8 + 0.4 * b.rand()));
      for (let i = 0; i < n; i++) b.conversation(b.officeTime(day), p.agent, readsAndWrites(b));
    }
    growingPoller(b, day, d, weekend);
    nightlyBatch(b, day);
    if (d % 3 === 1) b.conversation(b.officeTime(day), 'researcher', ['load_context', 'export_knowledge', 'export_knowledge']);
  }
  const labels = days > runawayFrom ? runaways(b, startMs + runawayFrom * DAY_MS, startMs + days * DAY_MS) : [];
  b.list.sort((x, y) => x.tsMs - y.tsMs || x.spanId.localeCompare(y.spanId));
  return {
    startMs, endMs: startMs + days * DAY_MS, calls: b.list, labels,
    normalAgents: [...INTERACTIVE.map((p) => p.agent), 'growing', 'nightly-batch'], offeredTools: Object.keys(TOOL_RISK),
  };
}

function readsAndWrites(b: Calls): string[] {
  const tools: string[] = [];
  for (let i = 1 + Math.floor(b.rand() * 4); i > 0; i--) tools.push('load_context');
  if (b.rand() < 0.5) tools.push('task_list');
  if (b.rand() < 0.4) tools.push('correct');
  if (b.rand() < 0.3) tools.push('approve_suggestion');
  return tools;
}

/** task_list every few seconds in working hours; the rate grows 4 % a day (weekends at a third). */
function growingPoller(b: Calls, day: number, d: number, weekend: boolean): void {
  const perMin = 4 * 1.04 ** d * (weekend ? 1 / 3 : 1);
  const session = `growing-${b.id(8)}`;
  for (let t = day + 7 * HOUR_MS; t < day + 19 * HOUR_MS; t += (-Math.log(1 - b.rand()) * MIN_MS) / perMin) b.add(t, 'growing', session, 'task_list');
}

/** 02:00 UTC: a burst of 40–75 approvals in about a minute, then corrections. */
function nightlyBatch(b: Calls, day: number): void {
  const session = `nightly-${b.id(8)}`;
  let t = day + 2 * HOUR_MS + b.rand() * 600_000;
  b.add(t, 'nightly-batch', session, 'session_start');
  b.add((t += 1_500), 'nightly-batch', session, 'load_context');
  const burst = 40 + Math.floor(b.rand() * 36);
  for (let i = 0; i < burst; i++) b.add((t += 700 + b.rand() * 700), 'nightly-batch', session, 'approve_suggestion');
  for (let i = 0; i < 20; i++) b.add((t += 3_000), 'nightly-batch', session, 'correct');
  b.add((t += 2_000), 'nightly-batch', session, 'session_close');
}

/** New in the replayed days: a close storm (write) and a read loop. Excess = beyond one close per session / beyond 4 reads a minute. */
function runaways(b: Calls, fromMs: number, toMs: number): AnomalyLabel[] {
  const t0 = fromMs + Math.floor((toMs - fromMs) / 2 / HOUR_MS) * HOUR_MS + 11 * HOUR_MS;
  const session = `cursor-${b.id(8)}`;
  b.add(t0, 'cursor', session, 'session_start');
  const closes = Array.from({ length: 300 }, (_, i) => b.add(t0 + 5_000 + i * 250, 'cursor', session, 'session_close'));
  const t1 = fromMs + DAY_MS + 15 * HOUR_MS;
  const loopSession = `ci-bot-${b.id(8)}`;
  const loop = Array.from({ length: 800 }, (_, i) => b.add(t1 + i * 1_500, 'ci-bot', loopSession, 'load_context'));
  const beyondFourAMinute = loop.filter((c) => (c.tsMs - t1) % MIN_MS >= 4 * 1_500);
  return [label('session_close_storm', 'bulk_write_burst', closes, closes.slice(1)), label('identical_call_loop', 'rate_spike', loop, beyondFourAMinute)];
}

function label(kind: AnomalyLabel['kind'], expected: string, calls: GeneratedCall[], excess: GeneratedCall[]): AnomalyLabel {
  const first = calls[0] as GeneratedCall;
  return {
    kind, expected, agent: first.agent, tool: first.tool,
    startMs: Math.min(...calls.map((c) => c.tsMs)), endMs: Math.max(...calls.map((c) => c.tsMs)) + 1,
    spanIds: calls.map((c) => c.spanId), excessSpanIds: excess.map((c) => c.spanId),
  };
}
