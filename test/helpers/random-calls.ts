// Seeded random call sequences for the property tests (deterministic for a given seed).
import type { ToolCall } from '../../src/policy/index.js';
import { prng } from '../../examples/workload/generate.js';

/** The same seeded mulberry32 generator the example workload uses. */
export const seededRandom = prng;

export const PROPERTY_POLICY = {
  version: '1',
  default: 'allow',
  hide: ['forget'],
  all_tools: { limits: [{ counter: 'all', window: 10, max: 7, scope: 'grant' }] },
  tools: {
    session_close: {
      limits: [
        { counter: 'burst', window: 'second', max: 2, scope: 'session' },
        { counter: 'per_minute', window: 'minute', max: 5 },
      ],
      deny_if: [{ path: 'args.reason', op: 'regex', value: '(?i)wipe' }],
    },
    sync: { limits: [{ counter: 'global_sync', window: 30, max: 3, scope: 'global' }] },
    export_knowledge: { action: 'approve' },
    doctor: { action: 'deny' },
    load_context: { require: [{ path: 'args.q', op: 'exists' }] },
  },
  grants: {
    batch: {
      all_tools: { limits: [{ counter: 'all', window: 60, max: 20 }] },
      tools: { session_close: { limits: [{ counter: 'c', window: 'minute', max: 9, scope: 'global' }] } },
    },
  },
} as const;

const TOOLS = ['session_close', 'session_close', 'session_close', 'sync', 'sync', 'load_context', 'export_knowledge', 'doctor', 'forget', 'other'];
const AGENTS = ['a1', 'a2', 'a3', 'batch'];
// Steps chosen to land on window edges: same millisecond, 1 ms, just under / exactly a window.
const STEPS = [0, 0, 1, 1, 7, 250, 999, 1000, 1001, 9999, 10000, 29999, 30000, 59999, 60000];

export function randomCalls(seed: number, n: number, startMs = Date.parse('2026-11-25T10:00:00.000Z')): ToolCall[] {
  const rnd = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const calls: ToolCall[] = [];
  let t = startMs;
  for (let i = 0; i < n; i++) {
    t += rnd() < 0.85 ? pick(STEPS.slice(0, 6)) : pick(STEPS);
    const call: ToolCall = { tsMs: t, agent: pick(AGENTS), tool: pick(TOOLS) };
    const r = rnd();
    if (r < 0.1) call.args = { reason: 'please WIPE' };
    else if (r < 0.6) call.args = { q: 'x', session_id: `s${Math.floor(rnd() * 3)}` };
    if (rnd() < 0.8) call.session = `s${Math.floor(rnd() * 4)}`;
    calls.push(call);
  }
  return calls;
}
