/**
 * The evaluator. Precedence: hide > deny (action, default for unlisted tools) / deny_if >
 * invalid_arguments > require > approve > limits > allow. `decide` is the same function in
 * audit and enforce mode (the caller decides whether to act), so an audit run predicts
 * enforcement call for call. Only admitted calls consume quota.
 */
import { formatDurationMs } from '../core/index.js';
import type { CompiledLimit, CompiledPolicy, CompiledTool, PolicyView, RuleCondition } from './compiled.js';
import { InMemoryCounters, type Counters } from './counters.js';
import type { LimitFallback } from '../config/index.js';
import type { SharedLimits } from './shared-counters.js';
import { classifyRisk } from './risk.js';
import { windowOfSeconds } from './schema.js';
import type { Decision, LimitOutcome, RiskClass, ToolAnnotations, ToolCall } from './types.js';

const SCOPE_WORDS = { grant: 'per agent', session: 'per session', global: 'across all agents' } as const;
const NO_CONDITIONS: readonly RuleCondition[] = [];

export interface PolicyEngineOptions {
  counters?: Counters;
}

export class PolicyEngine {
  private current: CompiledPolicy;
  private readonly counters: Counters;
  private readonly annotatedRisk = new Map<string, RiskClass>();
  /** Reused per decision (decide is synchronous), so admitting allocates nothing. */
  private readonly scratchIds: string[] = [];
  private readonly scratchCounts: number[] = [];
  private lastAgent: string | undefined;
  private lastPolicy: CompiledPolicy | undefined;
  private lastView: PolicyView;
  /** Reason texts naming a tool, built once per tool rather than per call. */
  private readonly hiddenReasons = new Map<string, string>();
  private readonly defaultReasons = new Map<string, string>();

  constructor(policy: CompiledPolicy, opts: PolicyEngineOptions = {}) {
    this.current = policy;
    this.lastView = policy.base;
    this.counters = opts.counters ?? new InMemoryCounters();
  }

  get policy(): CompiledPolicy {
    return this.current;
  }

  /** Hot reload: the next call sees the new rules; counters (keyed by scope, tool, name) carry over. */
  replacePolicy(next: CompiledPolicy): void {
    this.current = next;
  }

  setToolAnnotations(tools: Array<{ name: string; annotations?: ToolAnnotations }>): void {
    for (const tool of tools) this.annotatedRisk.set(tool.name, classifyRisk(tool.annotations));
  }

  isHidden(agent: string, tool: string): boolean {
    const view = this.viewFor(agent);
    return view.hideAll || view.hidden.has(tool);
  }

  riskOf(agent: string, tool: string): RiskClass {
    return this.riskFor(this.viewFor(agent).tools.get(tool), tool);
  }

  decide(call: ToolCall): Decision {
    return this.route(call, undefined) as Decision;
  }

  /**
   * `decide` with every limit of the call admitted by a shared store in one atomic step.
   * Calls without limits are decided at once; a limited call waits for the store, and when
   * the store cannot answer, its fallback decides (local counters, refuse, or allow).
   */
  decideShared(call: ToolCall, shared: SharedLimits): Decision | Promise<Decision> {
    return this.route(call, shared);
  }

  /** Synchronous whenever `shared` is undefined or the call has no limits. */
  private route(call: ToolCall, shared: SharedLimits | undefined): Decision | Promise<Decision> {
    const view = this.viewFor(call.agent);
    const entry = view.tools.get(call.tool);
    const risk = this.riskFor(entry, call.tool);
    const refused = this.refusal(call, view, entry, risk);
    if (refused !== undefined) return refused;
    const limits = entry === undefined ? view.allTools.limits : entry.limits;
    if (limits.length === 0) return allowed(view, entry, risk);
    if (shared !== undefined) return this.admitShared(call, limits, shared, view, entry, risk);
    const admitted = this.admit(call, limits, risk);
    if ('decision' in admitted) return admitted;
    return allowed(view, entry, risk, admitted);
  }

  private async admitShared(
    call: ToolCall, limits: readonly CompiledLimit[], shared: SharedLimits, view: PolicyView, entry: CompiledTool | undefined, risk: RiskClass,
  ): Promise<Decision> {
    const ids = limits.map((limit) => scopeId(limit, call));
    const answer = await shared.counters.admit(limits, ids, call.tsMs);
    if (!answer.ok) return this.fallback(call, limits, shared.fallback, view, entry, risk);
    const { full, counts, nowMs, blockingMs } = answer.value;
    if (full >= 0) {
      const limit = limits[full] as CompiledLimit;
      return { ...rateLimited(limit, counts[full] as number, risk, blockingMs, nowMs), limitBackend: shared.name };
    }
    return { ...allowed(view, entry, risk, tightest(limits, counts)), limitBackend: shared.name };
  }

  private fallback(
    call: ToolCall, limits: readonly CompiledLimit[], fallback: LimitFallback, view: PolicyView, entry: CompiledTool | undefined, risk: RiskClass,
  ): Decision {
    if (fallback === 'allow') return { ...allowed(view, entry, risk), limitBackend: 'allow-fallback' };
    if (fallback === 'deny') {
      const rule = (limits[0] as CompiledLimit).rule;
      return { decision: 'rate_limited', rule, reason: SHARED_LIMITS_DOWN, risk, limitBackend: 'deny-fallback' };
    }
    const admitted = this.admit(call, limits, risk);
    const decision = 'decision' in admitted ? admitted : allowed(view, entry, risk, admitted);
    return { ...decision, limitBackend: 'local-fallback' };
  }

  /** hide, deny (the tool's action or the default), deny_if, argument validation, require, approve. */
  private refusal(call: ToolCall, view: PolicyView, entry: CompiledTool | undefined, risk: RiskClass): Decision | undefined {
    const tool = call.tool;
    if (view.hideAll || view.hidden.has(tool)) {
      return { decision: 'deny', rule: view.hideRule, reason: cachedText(this.hiddenReasons, tool, HIDDEN_TEXT), risk };
    }
    if (entry === undefined && view.defaultAction === 'deny') {
      return { decision: 'deny', rule: view.defaultRule, reason: cachedText(this.defaultReasons, tool, DEFAULT_DENY_TEXT), risk };
    }
    if (entry?.action === 'deny') {
      return { decision: 'deny', rule: entry.rule, reason: entry.denyReason, risk };
    }
    const refused = this.checkConditions(call, entry, view, risk);
    if (refused !== undefined) return refused;
    if (entry?.action === 'approve') {
      return { decision: 'approval_required', rule: entry.rule, reason: entry.approveReason, risk, approver: entry.approver };
    }
    return undefined;
  }

  private viewFor(agent: string): PolicyView {
    const grants = this.current.grants;
    if (grants.size === 0) return this.current.base;
    // A proxy usually serves one agent: remember the last lookup.
    if (agent === this.lastAgent && this.current === this.lastPolicy) return this.lastView;
    const view = grants.get(agent) ?? this.current.base;
    this.lastAgent = agent;
    this.lastPolicy = this.current;
    this.lastView = view;
    return view;
  }

  private riskFor(entry: CompiledTool | undefined, tool: string): RiskClass {
    return entry?.risk ?? this.annotatedRisk.get(tool) ?? 'write';
  }

  /** deny_if, then argument validation, then require (tool's own rules before all_tools'). */
  private checkConditions(call: ToolCall, entry: CompiledTool | undefined, view: PolicyView, risk: RiskClass): Decision | undefined {
    const denied = firstMatch(call, entry?.denyIf ?? NO_CONDITIONS, true) ?? firstMatch(call, view.allTools.denyIf, true);
    if (denied !== undefined) {
      const why = denied.reason ?? `${denied.condition.text} matched`;
      return { decision: 'deny', rule: denied.rule, reason: `denied by policy: ${why}`, risk };
    }
    if (entry?.validateArgs !== undefined) {
      const problem = entry.validateArgs(call.args ?? {}, 'args');
      if (problem !== undefined) return { decision: 'invalid_arguments', rule: `${entry.rule}.args`, reason: `invalid arguments: ${problem}`, risk };
    }
    const failed = firstMatch(call, entry?.require ?? NO_CONDITIONS, false) ?? firstMatch(call, view.allTools.require, false);
    if (failed !== undefined) {
      const why = failed.reason ?? `requires ${failed.condition.text}`;
      return { decision: 'deny', rule: failed.rule, reason: `denied by policy: ${why}`, risk };
    }
    return undefined;
  }

  /**
   * Admits the call against every limit at once: refused by one, it consumes nothing from the
   * others. On allow, reports the limit left with the least headroom.
   */
  private admit(call: ToolCall, limits: readonly CompiledLimit[], risk: RiskClass): Decision | LimitOutcome {
    const ids = this.scratchIds;
    const counts = this.scratchCounts;
    for (let i = 0; i < limits.length; i++) ids[i] = scopeId(limits[i] as CompiledLimit, call);
    const full = this.counters.admit(limits, ids, call.tsMs, counts);
    if (full < 0) return tightest(limits, counts);
    const limit = limits[full] as CompiledLimit;
    const blockingMs = this.counters.blockingSince(limit, ids[full] as string, call.tsMs);
    return rateLimited(limit, counts[full] as number, risk, blockingMs, call.tsMs);
  }
}

const SHARED_LIMITS_DOWN = 'rate limited: the shared limit store cannot be reached and the limits fallback is deny';

function allowed(view: PolicyView, entry: CompiledTool | undefined, risk: RiskClass, limit?: LimitOutcome): Decision {
  const rule = entry === undefined ? view.defaultRule : entry.rule;
  const reason = entry === undefined ? 'allowed by default' : 'allowed by policy';
  return limit === undefined ? { decision: 'allow', rule, reason, risk } : { decision: 'allow', rule, reason, risk, limit };
}

/** On allow, the limit left with the least headroom; `counts` are the counts before this call. */
function tightest(limits: readonly CompiledLimit[], counts: readonly number[]): LimitOutcome {
  let index = 0;
  let tightestRatio = -1;
  for (let i = 0; i < limits.length; i++) {
    const ratio = ((counts[i] as number) + 1) / (limits[i] as CompiledLimit).max;
    if (ratio > tightestRatio) {
      tightestRatio = ratio;
      index = i;
    }
  }
  const limit = limits[index] as CompiledLimit;
  return { counter: limit.counter, count: (counts[index] as number) + 1, max: limit.max, windowS: limit.windowS };
}

function rateLimited(limit: CompiledLimit, count: number, risk: RiskClass, blockingMs: number | undefined, nowMs: number): Decision {
  const outcome: LimitOutcome = { counter: limit.counter, count, max: limit.max, windowS: limit.windowS };
  let retry = 'the limit allows no calls';
  if (blockingMs !== undefined) {
    outcome.retryAfterMs = Math.max(0, blockingMs + limit.windowMs - nowMs);
    retry = `retry in ${formatDurationMs(outcome.retryAfterMs)}`;
  }
  const window = windowOfSeconds(limit.windowS);
  const per = typeof window === 'number' ? `${window}s` : window;
  const reason = `rate limited: ${limit.max} calls per ${per} ${SCOPE_WORDS[limit.scope]} (counter ${limit.counter}); ${retry}`;
  return { decision: 'rate_limited', rule: limit.rule, reason, risk, limit: outcome };
}

const HIDDEN_TEXT = (tool: string) => `denied by policy: tool "${tool}" is hidden`;
const DEFAULT_DENY_TEXT = (tool: string) => `denied by policy: tool "${tool}" is not listed and the default is deny`;
const MAX_CACHED_TEXTS = 10_000;

function cachedText(cache: Map<string, string>, tool: string, build: (tool: string) => string): string {
  let text = cache.get(tool);
  if (text === undefined) {
    if (cache.size >= MAX_CACHED_TEXTS) cache.clear();
    text = build(tool);
    cache.set(tool, text);
  }
  return text;
}

function firstMatch(call: ToolCall, rules: readonly RuleCondition[], wanted: boolean): RuleCondition | undefined {
  for (const rule of rules) if (rule.condition.test(call) === wanted) return rule;
  return undefined;
}

/**
 * Who shares a counter: the agent (grant), its MCP session, or everyone. A session-scoped call
 * without a session counts per agent, under an id no real session id starts with.
 */
function scopeId(limit: CompiledLimit, call: ToolCall): string {
  if (limit.scope === 'grant') return call.agent;
  if (limit.scope === 'session') return call.session ?? `\u0000agent:${call.agent}`;
  return '';
}

