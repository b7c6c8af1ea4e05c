/** Validates a policy document with zod and compiles it into per-identity views. */
import { canonicalJson, sha256Hex } from '../core/index.js';
import { err, ok, type Result } from '../core/index.js';
import { compileArgsSchema } from './args-schema.js';
import type { CompiledAllTools, CompiledLimit, CompiledPolicy, CompiledTool, PolicyView, RuleCondition } from './compiled.js';
import { compileCondition } from './conditions.js';
import { formatPath, problemsFromIssues } from './problems.js';
import {
  policyDocumentSchema,
  windowSeconds,
  type AllToolsSpec,
  type ConditionSpec,
  type GrantSpec,
  type LimitSpec,
  type PolicyDocument,
  type ToolPolicy,
} from './schema.js';
import type { PolicyProblem, RiskClass } from './types.js';

export function compilePolicy(doc: unknown): Result<CompiledPolicy, PolicyProblem[]> {
  const parsed = policyDocumentSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) return err(problemsFromIssues(parsed.error.issues));
  const source = parsed.data;
  const problems = checkCounterNames(source);
  if (problems.length > 0) return err(problems);
  return ok(buildCompiled(source));
}

/** The hash ignores `$schema`, which only points editors at the JSON Schema. */
export function policyHash(source: PolicyDocument): string {
  const { $schema: _ignored, ...rest } = source;
  return sha256Hex(canonicalJson(rest));
}

function buildCompiled(source: PolicyDocument): CompiledPolicy {
  const topTools = source.tools ?? {};
  const base = buildView(source, [], topTools, new Map(), source.all_tools, 'all_tools');
  const grants = new Map<string, PolicyView>();
  for (const [agent, grant] of Object.entries(source.grants ?? {})) grants.set(agent, buildGrantView(source, agent, grant));
  return Object.freeze({
    hash: policyHash(source),
    mode: source.mode,
    source,
    base,
    grants,
    summary: { tools: Object.keys(topTools).length, limits: countLimits(source), grants: grants.size, hidden: source.hide?.length ?? 0 },
  });
}

function buildGrantView(source: PolicyDocument, agent: string, grant: GrantSpec): PolicyView {
  const prefix: Array<string | number> = ['grants', agent];
  const overridden = new Map(Object.keys(grant.tools ?? {}).map((name) => [name, prefix] as const));
  const tools = { ...(source.tools ?? {}), ...(grant.tools ?? {}) };
  const allToolsPath = grant.all_tools ? formatPath([...prefix, 'all_tools']) : 'all_tools';
  const layered: PolicyDocument = {
    ...source,
    default: grant.default ?? source.default,
    hide: grant.hide ?? source.hide,
  };
  const view = buildView(layered, prefix, tools, overridden, grant.all_tools ?? source.all_tools, allToolsPath);
  return {
    ...view,
    defaultRule: grant.default ? formatPath([...prefix, 'default']) : 'default',
    hideRule: grant.hide ? formatPath([...prefix, 'hide']) : 'hide',
  };
}

function buildView(
  doc: PolicyDocument,
  grantPrefix: Array<string | number>,
  toolSpecs: Record<string, ToolPolicy>,
  fromGrant: ReadonlyMap<string, unknown>,
  allToolsSpec: AllToolsSpec | undefined,
  allToolsRule: string,
): PolicyView {
  const allTools = compileAllTools(allToolsSpec, allToolsRule);
  const tools = new Map<string, CompiledTool>();
  for (const [name, spec] of Object.entries(toolSpecs)) {
    const rule = formatPath([...(fromGrant.has(name) ? grantPrefix : []), 'tools', name]);
    tools.set(name, compileTool(name, rule, spec, allTools));
  }
  const hide = doc.hide ?? [];
  return {
    defaultAction: doc.default,
    defaultRule: 'default',
    hideAll: hide.includes('*'),
    hidden: new Set(hide),
    hideRule: 'hide',
    allTools,
    tools,
  };
}

function compileAllTools(spec: AllToolsSpec | undefined, rule: string): CompiledAllTools {
  return {
    denyIf: compileConditions(spec?.deny_if, `${rule}.deny_if`, true),
    require: compileConditions(spec?.require, `${rule}.require`, false),
    limits: (spec?.limits ?? []).map((l, i) => compileLimit(l, `${rule}.limits[${i}]`, '*')),
  };
}

function compileTool(name: string, rule: string, spec: ToolPolicy, allTools: CompiledAllTools): CompiledTool {
  const own = (spec.limits ?? []).map((l, i) => compileLimit(l, `${rule}.limits[${i}]`, name));
  const legacy = legacyLimit(name, spec.rate_limit);
  if (legacy) own.push(compileLimit(legacy, `${rule}.rate_limit`, name));
  return {
    name,
    rule,
    action: spec.action ?? 'allow',
    reason: spec.reason,
    denyReason: `denied by policy: ${spec.reason ?? `tool "${name}" is blocked`}`,
    approveReason: `approval required: ${spec.reason ?? `tool "${name}" needs a human's approval`}`,
    approver: spec.approver ?? 'operator',
    risk: spec.risk as RiskClass | undefined,
    denyIf: compileConditions(spec.deny_if, `${rule}.deny_if`, true),
    require: compileConditions(spec.require, `${rule}.require`, false),
    validateArgs: spec.args ? compileArgsSchema(spec.args) : undefined,
    limits: [...own, ...allTools.limits],
  };
}

/** `rate_limit: {max, window}` or "10/minute" means one per-grant limit named `<tool>_rate`. */
export function legacyLimit(tool: string, spec: ToolPolicy['rate_limit']): LimitSpec | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec === 'string') {
    const [max, window] = spec.split('/') as [string, LimitSpec['window']];
    return { counter: `${tool}_rate`, max: Number(max), window, scope: 'grant' };
  }
  return { counter: `${tool}_rate`, max: spec.max, window: spec.window, scope: 'grant' };
}

function compileLimit(spec: LimitSpec, rule: string, tool: string): CompiledLimit {
  const scope = spec.scope ?? 'grant';
  const windowS = windowSeconds(spec.window);
  return {
    rule,
    counter: spec.counter,
    scope,
    windowS,
    windowMs: windowS * 1000,
    max: spec.max,
    space: `${scope}\u0000${tool}\u0000${spec.counter}`,
  };
}

/** `overlongMatches`: a deny_if list treats a value too long to match as matching; a require list as not. */
function compileConditions(specs: ConditionSpec[] | undefined, rule: string, overlongMatches: boolean): RuleCondition[] {
  return (specs ?? []).map((spec, i) => ({
    rule: `${rule}[${i}]`,
    condition: compileCondition(spec, overlongMatches),
    reason: spec.reason ?? spec.on_deny,
  }));
}

function countLimits(doc: PolicyDocument): number {
  const inTools = (tools: Record<string, ToolPolicy> | undefined) =>
    Object.values(tools ?? {}).reduce((n, t) => n + (t.limits?.length ?? 0) + (t.rate_limit ? 1 : 0), 0);
  let total = inTools(doc.tools) + (doc.all_tools?.limits?.length ?? 0);
  for (const grant of Object.values(doc.grants ?? {})) total += inTools(grant.tools) + (grant.all_tools?.limits?.length ?? 0);
  return total;
}

/** Two limits of one tool (or of all_tools) may not share a counter name: they would share one log. */
function checkCounterNames(doc: PolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const check = (limits: LimitSpec[] | undefined, legacyName: string | undefined, at: Array<string | number>) => {
    const seen = new Set<string>(legacyName ? [legacyName] : []);
    (limits ?? []).forEach((limit, i) => {
      if (seen.has(limit.counter)) {
        problems.push({ path: formatPath([...at, 'limits', i, 'counter']), message: `counter "${limit.counter}" is used twice here` });
      }
      seen.add(limit.counter);
    });
  };
  const checkTools = (tools: Record<string, ToolPolicy> | undefined, at: Array<string | number>) => {
    for (const [name, spec] of Object.entries(tools ?? {})) check(spec.limits, spec.rate_limit ? `${name}_rate` : undefined, [...at, 'tools', name]);
  };
  checkTools(doc.tools, []);
  check(doc.all_tools?.limits, undefined, ['all_tools']);
  for (const [agent, grant] of Object.entries(doc.grants ?? {})) {
    checkTools(grant.tools, ['grants', agent]);
    check(grant.all_tools?.limits, undefined, ['grants', agent, 'all_tools']);
  }
  return problems;
}
