/** The policy engine: pure (no I/O), shared by the proxy and every replay or simulation. */
export type { DecisionKind, RiskClass, PolicyMode, LimitScope, ToolAnnotations, ToolCall, LimitOutcome, Decision, PolicyProblem, Approver } from './types.js';
export { DECISION_KINDS, RISK_CLASSES, WRITE_RISK_CLASSES, APPROVERS, isEnforced } from './types.js';
export type { CompiledPolicy, PolicyView, CompiledTool, CompiledLimit, PolicySummary } from './compiled.js';
export type { PolicyDocument, ToolPolicy, LimitSpec, ConditionSpec, GrantSpec, AllToolsSpec, ArgsSchema, WindowSpec } from './schema.js';
export { policyDocumentSchema, CONDITION_OPS, NAMED_WINDOWS, windowOfSeconds, windowSeconds, type WindowName } from './schema.js';
export { compilePolicy, policyHash, legacyLimit } from './compile.js';
export { parsePolicyText, parsePolicyDocument } from './parse.js';
export { formatProblems, formatPath, problemsFromIssues } from './problems.js';
export { classifyRisk } from './risk.js';
export type { Counters, CounterSpec } from './counters.js';
export { InMemoryCounters } from './counters.js';
export type { SharedCounters, SharedAdmission, SharedLimits, LimitBackend } from './shared-counters.js';
export { PolicyEngine, type PolicyEngineOptions } from './engine.js';
export { ReloadablePolicy, type ReloadOutcome } from './reload.js';
export { policyToJson } from './serialize.js';
export { policyJsonSchema, policyJsonSchemaText } from './json-schema.js';
export { compileRegex } from './conditions.js';
export { CallLineEvaluator, TimestampParser, toCall, type LineResult } from './replay.js';
