// The decision corpus in test/cases/policy/*.yaml, run through an engine by whoever asks:
// the local engine (test/unit/policy/corpus.test.ts) and the Redis-backed limits (test/system).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  compilePolicy, formatProblems, parsePolicyText, PolicyEngine, type CompiledPolicy, type Decision, type PolicyProblem, type ToolAnnotations, type ToolCall,
} from '../../src/policy/index.js';

const CASES_DIR = join(import.meta.dirname, '../cases/policy');
const BASE_MS = Date.parse('2026-11-25T10:00:00.000Z');

interface CallSpec {
  t?: number;
  agent?: string;
  tool: string;
  args?: unknown;
  session?: string;
  expect: string;
  rule?: string;
  reason?: string;
  risk?: string;
  limit?: Record<string, unknown> | null;
  repeat?: number;
  step?: number;
}
export interface CaseSpec {
  name: string;
  policy?: unknown;
  policy_text?: string;
  source_name?: string;
  tools?: Array<{ name: string; annotations?: ToolAnnotations }>;
  calls?: CallSpec[];
  checks?: Array<{ agent: string; tool: string; hidden?: boolean; risk?: string }>;
  problems?: string[];
  problems_match?: string[];
}

function load(spec: CaseSpec): { ok: true; value: CompiledPolicy } | { ok: false; error: PolicyProblem[] } {
  if (spec.policy_text !== undefined) return parsePolicyText(spec.policy_text, spec.source_name);
  return compilePolicy(spec.policy);
}

/** How a case's calls are decided; the default is the engine's own (local) counters. */
export type DecideFn = (engine: PolicyEngine, call: ToolCall) => Decision | Promise<Decision>;

export async function runCase(spec: CaseSpec, decide: DecideFn = (engine, call) => engine.decide(call)): Promise<void> {
  const compiled = load(spec);
  assert.ok(compiled.ok, `policy should load:\n${compiled.ok ? '' : formatProblems(compiled.error)}`);
  const engine = new PolicyEngine(compiled.value);
  if (spec.tools) engine.setToolAnnotations(spec.tools);
  let t = 0;
  let index = 0;
  for (const call of spec.calls ?? []) {
    t = call.t ?? t;
    for (let r = 0; r < (call.repeat ?? 1); r++, index++) {
      const at = t + r * (call.step ?? 0);
      const label = `call #${index} (${call.tool} at t=${at})`;
      const d = await decide(engine, { tsMs: BASE_MS + at, agent: call.agent ?? 'a1', tool: call.tool, args: call.args, ...(call.session ? { session: call.session } : {}) });
      assert.equal(d.decision, call.expect, `${label}: decision (${d.rule}: ${d.reason})`);
      if (call.rule !== undefined) assert.equal(d.rule, call.rule, `${label}: rule`);
      if (call.reason !== undefined) assert.ok(d.reason.includes(call.reason), `${label}: reason "${d.reason}" lacks "${call.reason}"`);
      if (call.risk !== undefined) assert.equal(d.risk, call.risk, `${label}: risk`);
      if (call.limit === null) assert.equal(d.limit, undefined, `${label}: no limit expected`);
      for (const [key, want] of Object.entries(call.limit ?? {})) {
        const got = (d.limit as Record<string, unknown> | undefined)?.[key];
        assert.equal(got, want === null ? undefined : want, `${label}: limit.${key} (${JSON.stringify(d.limit)})`);
      }
    }
  }
  for (const check of spec.checks ?? []) {
    if (check.hidden !== undefined) assert.equal(engine.isHidden(check.agent, check.tool), check.hidden, `isHidden(${check.agent}, ${check.tool})`);
    if (check.risk !== undefined) assert.equal(engine.riskOf(check.agent, check.tool), check.risk, `riskOf(${check.agent}, ${check.tool})`);
  }
}

export function runInvalid(spec: CaseSpec): void {
  const compiled = load(spec);
  assert.equal(compiled.ok, false, 'policy should be rejected');
  if (compiled.ok) return;
  const lines = formatProblems(compiled.error).split('\n');
  if (spec.problems) assert.deepEqual(lines, spec.problems);
  if (spec.problems_match) {
    assert.equal(lines.length, spec.problems_match.length, lines.join('\n'));
    spec.problems_match.forEach((pattern, i) => assert.match(lines[i] as string, new RegExp(pattern)));
  }
}

export interface CorpusFile {
  file: string;
  cases: CaseSpec[];
  invalid: CaseSpec[];
}

export function loadCorpus(): CorpusFile[] {
  return readdirSync(CASES_DIR).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
    const doc = parse(readFileSync(join(CASES_DIR, file), 'utf8')) as { cases?: CaseSpec[]; invalid?: CaseSpec[] };
    return { file, cases: doc.cases ?? [], invalid: doc.invalid ?? [] };
  });
}
