import type { GeneratedCall } from '../../examples/workload/generate.js';

/**
 * The `n`-th call of a hand-built workload: allowed in audit mode, ids and arguments hash
 * distinct per call; the fields a test is about are given.
 */
export function plainCall(n: number, c: Pick<GeneratedCall, 'tsMs' | 'agent' | 'session' | 'tool' | 'risk'>): GeneratedCall {
  return {
    ...c, traceId: n.toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '0'),
    decision: 'allow', enforced: false, mode: 'audit', argsHash: `h${n - 1}`, isError: false, durationMs: 5,
  };
}
