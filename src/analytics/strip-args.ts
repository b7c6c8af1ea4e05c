/**
 * Recorded calls keep only an arguments hash, so `args` schemas and conditions on `args.*`
 * cannot be re-evaluated on history. Rather than let every such rule fail on missing
 * arguments (which would turn each `require` into a deny and skew the limit counters), the
 * replay assumes arguments pass those rules: they are removed from the policy replayed and
 * every call they would have looked at is counted as `args_unchecked`. Conditions on
 * agent, tool and session stay, since those are recorded.
 */
import type { AllToolsSpec, ConditionSpec, PolicyDocument, ToolPolicy } from '../policy/index.js';

export interface ArgRuleIndex {
  /** Tools whose top-level entry had argument rules. */
  baseTools: Set<string>;
  baseAllTools: boolean;
  grants: Map<string, { defined: Set<string>; tools: Set<string>; allTools: boolean | undefined }>;
}

const isArgCondition = (c: ConditionSpec) => c.path === 'args' || c.path.startsWith('args.') || c.path.startsWith('args[');

function stripTool(spec: ToolPolicy): { spec: ToolPolicy; had: boolean } {
  const { args, require, deny_if, ...rest } = spec;
  const req = (require ?? []).filter((c) => !isArgCondition(c));
  const deny = (deny_if ?? []).filter((c) => !isArgCondition(c));
  const had = args !== undefined || req.length !== (require ?? []).length || deny.length !== (deny_if ?? []).length;
  return { spec: { ...rest, ...(req.length ? { require: req } : {}), ...(deny.length ? { deny_if: deny } : {}) }, had };
}

function stripAllTools(spec: AllToolsSpec | undefined): { spec: AllToolsSpec | undefined; had: boolean } {
  if (!spec) return { spec, had: false };
  const { spec: stripped, had } = stripTool(spec as ToolPolicy);
  return { spec: stripped as AllToolsSpec, had };
}

function stripTools(tools: Record<string, ToolPolicy> | undefined, into: Set<string>): Record<string, ToolPolicy> | undefined {
  if (!tools) return tools;
  const out: Record<string, ToolPolicy> = {};
  for (const [name, spec] of Object.entries(tools)) {
    const { spec: s, had } = stripTool(spec);
    out[name] = s;
    if (had) into.add(name);
  }
  return out;
}

export function stripArgRules(doc: PolicyDocument): { doc: PolicyDocument; index: ArgRuleIndex } {
  const index: ArgRuleIndex = { baseTools: new Set(), baseAllTools: false, grants: new Map() };
  const allTools = stripAllTools(doc.all_tools);
  index.baseAllTools = allTools.had;
  const out: PolicyDocument = { ...doc };
  const tools = stripTools(doc.tools, index.baseTools);
  if (tools) out.tools = tools;
  if (allTools.spec) out.all_tools = allTools.spec;
  if (doc.grants) {
    out.grants = {};
    for (const [agent, grant] of Object.entries(doc.grants)) {
      const set = new Set<string>();
      const g = { ...grant };
      const gt = stripTools(grant.tools, set);
      if (gt) g.tools = gt;
      const ga = stripAllTools(grant.all_tools);
      if (ga.spec) g.all_tools = ga.spec;
      out.grants[agent] = g;
      index.grants.set(agent, { defined: new Set(Object.keys(grant.tools ?? {})), tools: set, allTools: grant.all_tools ? ga.had : undefined });
    }
  }
  return { doc: out, index };
}

/** Whether the decision for (agent, tool) depended on argument rules in the original policy. */
export function dependsOnArgs(index: ArgRuleIndex, agent: string, tool: string): boolean {
  const grant = index.grants.get(agent);
  if (grant) {
    if (grant.defined.has(tool)) return grant.tools.has(tool) || (grant.allTools ?? index.baseAllTools);
    return index.baseTools.has(tool) || (grant.allTools ?? index.baseAllTools);
  }
  return index.baseTools.has(tool) || index.baseAllTools;
}
