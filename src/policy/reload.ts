/** Hot reload for the proxy: a policy that fails validation never replaces the last good one. */
import { ok, type Result } from '../core/index.js';
import type { CompiledPolicy } from './compiled.js';
import type { PolicyEngine } from './engine.js';
import { parsePolicyText } from './parse.js';
import type { PolicyProblem } from './types.js';

export interface ReloadOutcome {
  policy: CompiledPolicy;
  /** False when the new text compiles to the policy already in force (same hash). */
  changed: boolean;
}

export class ReloadablePolicy {
  private good: CompiledPolicy;
  private problems: PolicyProblem[] = [];
  private readonly engine: PolicyEngine | undefined;
  private readonly listeners: Array<(policy: CompiledPolicy) => void> = [];

  /** With an engine, every successful reload is applied to it (its counters are kept). */
  constructor(initial: CompiledPolicy, opts: { engine?: PolicyEngine } = {}) {
    this.good = initial;
    this.engine = opts.engine;
  }

  /** The last policy that loaded cleanly. */
  get current(): CompiledPolicy {
    return this.good;
  }

  /** Problems of the most recent failed reload (empty after a good one). */
  get lastProblems(): readonly PolicyProblem[] {
    return this.problems;
  }

  onChange(listener: (policy: CompiledPolicy) => void): void {
    this.listeners.push(listener);
  }

  tryReload(text: string, sourceName?: string): Result<ReloadOutcome, PolicyProblem[]> {
    const parsed = parsePolicyText(text, sourceName);
    if (!parsed.ok) {
      this.problems = parsed.error;
      return parsed;
    }
    this.problems = [];
    if (parsed.value.hash === this.good.hash) return ok({ policy: this.good, changed: false });
    this.good = parsed.value;
    this.engine?.replacePolicy(parsed.value);
    for (const listener of this.listeners) listener(parsed.value);
    return ok({ policy: parsed.value, changed: true });
  }
}
