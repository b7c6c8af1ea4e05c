/** The compiled form of a policy: per-identity views with every rule pre-resolved. */
import type { ArgsValidator } from './args-schema.js';
import type { CompiledCondition } from './conditions.js';
import type { CounterSpec } from './counters.js';
import type { PolicyDocument } from './schema.js';
import type { Approver, LimitScope, PolicyMode, RiskClass } from './types.js';

export interface CompiledLimit extends CounterSpec {
  /** Rule id, e.g. `tools.session_close.limits[0]` or `tools.x.rate_limit`. */
  readonly rule: string;
  readonly counter: string;
  readonly scope: LimitScope;
  readonly windowMs: number;
  readonly windowS: number;
  readonly max: number;
  /** Counter space (scope, tool, name): identical across reloads while those are, so counters carry over. */
  readonly space: string;
}

export interface RuleCondition {
  readonly rule: string;
  readonly condition: CompiledCondition;
  readonly reason: string | undefined;
}

export interface CompiledTool {
  readonly name: string;
  /** `tools.<name>` or `grants.<agent>.tools.<name>`. */
  readonly rule: string;
  readonly action: 'allow' | 'deny' | 'approve';
  readonly reason: string | undefined;
  /** Decision texts for `action: deny` / `approve`, built once. */
  readonly denyReason: string;
  readonly approveReason: string;
  readonly approver: Approver;
  readonly risk: RiskClass | undefined;
  readonly denyIf: readonly RuleCondition[];
  readonly require: readonly RuleCondition[];
  readonly validateArgs: ArgsValidator | undefined;
  /** The tool's own limits followed by the view's all_tools limits. */
  readonly limits: readonly CompiledLimit[];
}

export interface CompiledAllTools {
  readonly denyIf: readonly RuleCondition[];
  readonly require: readonly RuleCondition[];
  readonly limits: readonly CompiledLimit[];
}

/** Everything one identity sees: the top-level policy, or it with a grant applied. */
export interface PolicyView {
  readonly defaultAction: 'allow' | 'deny';
  readonly defaultRule: string;
  readonly hideAll: boolean;
  readonly hidden: ReadonlySet<string>;
  readonly hideRule: string;
  readonly allTools: CompiledAllTools;
  readonly tools: ReadonlyMap<string, CompiledTool>;
}

export interface PolicySummary {
  tools: number;
  limits: number;
  grants: number;
  hidden: number;
}

export interface CompiledPolicy {
  /** sha256 (hex) of the canonical JSON of the policy (without `$schema`). */
  readonly hash: string;
  readonly mode: PolicyMode | undefined;
  readonly source: PolicyDocument;
  readonly base: PolicyView;
  readonly grants: ReadonlyMap<string, PolicyView>;
  readonly summary: PolicySummary;
}
