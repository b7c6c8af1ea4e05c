/**
 * The policy file format as a zod schema: a superset of PolicyLayer's hosted policy.json v"1".
 * Unknown keys are errors (a typo must not silently disable a rule); the free-text fields that
 * PolicyLayer and Intercept files carry (`name`, `description`) are accepted and ignored.
 * Semantic checks that need more than shape (regexes compile, values fit the operator) are
 * refinements here too, so `policy check` reports every problem in one pass.
 */
import { z } from 'zod';
import { RISK_CLASSES } from './types.js';
import { checkConditionValue, compileRegex } from './conditions.js';

export const CONDITION_OPS = ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains', 'exists'] as const;
export const NAMED_WINDOWS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;
export type WindowName = keyof typeof NAMED_WINDOWS;
const WINDOW_NAME_LIST = Object.keys(NAMED_WINDOWS) as [WindowName, ...WindowName[]];

/** A window in seconds as a policy writes it: its name when it has one ("minute"), else the seconds. */
export function windowOfSeconds(windowS: number): WindowName | number {
  return WINDOW_NAME_LIST.find((name) => NAMED_WINDOWS[name] === windowS) ?? windowS;
}

const label = { name: z.string().optional(), description: z.string().optional() };

const windowSchema = z
  .union([z.enum(WINDOW_NAME_LIST), z.number().int().positive()], {
    error: `must be ${WINDOW_NAME_LIST.map((n) => `"${n}"`).join(', ')} or a whole number of seconds > 0`,
  })
  .describe(`${WINDOW_NAME_LIST.map((n) => `"${n}"`).join(' | ')}, or a whole number of seconds`);

export const limitSchema = z.strictObject({
  counter: z.string().min(1).describe('counter name; shown in decisions and spans'),
  window: windowSchema,
  max: z.number().int().nonnegative().describe('at most this many admitted calls in any rolling window'),
  scope: z.enum(['grant', 'session', 'global']).optional().describe('who shares the counter (default grant: per agent)'),
  ...label,
});

/** PolicyLayer's older wording: `{max, window}` objects or Intercept's "10/minute" shorthand. */
const legacyRateLimitSchema = z.union([
  z.strictObject({ max: z.number().int().nonnegative(), window: windowSchema, ...label }),
  z.string().regex(/^\d+\/(second|minute|hour|day)$/, { error: 'must be {max, window} or "N/second|minute|hour|day"' }),
], { error: 'must be {max, window} or "N/second|minute|hour|day"' });

export const conditionSchema = z
  .strictObject({
    path: z.string().min(1).describe('args.<field>[.<field>…], agent, tool or session'),
    op: z.enum(CONDITION_OPS),
    value: z.unknown().optional(),
    reason: z.string().optional().describe('shown to the agent when this condition decides'),
    on_deny: z.string().optional(),
    ...label,
  })
  .superRefine((cond, ctx) => {
    for (const problem of checkConditionValue(cond.path, cond.op, cond.value)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.field] });
    }
  });

const jsonTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** The JSON Schema subset accepted for argument validation. */
export interface ArgsSchema {
  $schema?: string | undefined;
  type?: z.infer<typeof jsonTypeSchema> | Array<z.infer<typeof jsonTypeSchema>> | undefined;
  properties?: Record<string, ArgsSchema> | undefined;
  required?: string[] | undefined;
  additionalProperties?: boolean | ArgsSchema | undefined;
  items?: ArgsSchema | undefined;
  enum?: unknown[] | undefined;
  const?: unknown;
  minimum?: number | undefined;
  maximum?: number | undefined;
  exclusiveMinimum?: number | undefined;
  exclusiveMaximum?: number | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  pattern?: string | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
  format?: string | undefined;
  title?: string | undefined;
  description?: string | undefined;
  default?: unknown;
  examples?: unknown[] | undefined;
}

const count = z.number().int().nonnegative();
export const argsSchemaSchema: z.ZodType<ArgsSchema> = z.lazy(() =>
  z
    .strictObject({
      $schema: z.string().optional(),
      type: z
        .union([jsonTypeSchema, z.array(jsonTypeSchema).min(1)], {
          error: 'must be string, number, integer, boolean, object, array or null, or a list of them',
        })
        .optional(),
      properties: z.record(z.string(), argsSchemaSchema).optional(),
      required: z.array(z.string()).optional(),
      additionalProperties: z.union([z.boolean(), argsSchemaSchema]).optional(),
      items: argsSchemaSchema.optional(),
      enum: z.array(z.unknown()).min(1).optional(),
      const: z.unknown().optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      exclusiveMinimum: z.number().optional(),
      exclusiveMaximum: z.number().optional(),
      minLength: count.optional(),
      maxLength: count.optional(),
      pattern: z.string().refine(isValidRegex, 'not a valid regular expression').optional(),
      minItems: count.optional(),
      maxItems: count.optional(),
      format: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      default: z.unknown().optional(),
      examples: z.array(z.unknown()).optional(),
    })
    .meta({ id: 'ArgsSchema', description: 'JSON Schema subset for tool arguments' }),
);

export const toolPolicySchema = z.strictObject({
  action: z.enum(['allow', 'deny', 'approve']).optional().describe('allow (default), deny, or approve (approval_required)'),
  reason: z.string().optional().describe('why; shown with deny / approve decisions'),
  approver: z.enum(['user', 'operator']).optional().describe('with action approve, in enforce mode: who decides a held call — the person at the client (MCP elicitation, when the client supports it) or an operator on warden serve (default)'),
  risk: z.enum(RISK_CLASSES).optional().describe('overrides the risk class from MCP annotations'),
  limits: z.array(limitSchema).optional(),
  rate_limit: legacyRateLimitSchema.optional().describe('older PolicyLayer wording; means limits: [{counter: "<tool>_rate", scope: "grant", …}]'),
  require: z.array(conditionSchema).optional().describe('every condition must hold, else deny'),
  deny_if: z.array(conditionSchema).optional().describe('any matching condition denies'),
  args: argsSchemaSchema.optional(),
  ...label,
});

export const allToolsSchema = z.strictObject({
  limits: z.array(limitSchema).optional(),
  require: z.array(conditionSchema).optional(),
  deny_if: z.array(conditionSchema).optional(),
  ...label,
});

const defaultSchema = z.enum(['allow', 'deny']).describe('decision for tools not listed');
const hideSchema = z.array(z.string().min(1)).describe('tool names ("*" = all) removed from tools/list and denied');

export const grantSchema = z.strictObject({
  default: defaultSchema.optional(),
  hide: hideSchema.optional(),
  all_tools: allToolsSchema.optional(),
  tools: z.record(z.string(), toolPolicySchema).optional(),
  ...label,
});

export const policyDocumentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal('1', { error: 'must be "1" (a string; quote it in YAML)' }),
    default: defaultSchema,
    mode: z.enum(['audit', 'enforce']).optional(),
    hide: hideSchema.optional(),
    all_tools: allToolsSchema.optional(),
    tools: z.record(z.string(), toolPolicySchema).optional(),
    grants: z.record(z.string(), grantSchema).optional().describe('per agent identity: overrides of tools, default, hide, all_tools'),
    ...label,
  })
  .meta({ title: 'Warden policy', description: 'Warden / PolicyLayer policy.json v"1"' });

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type ToolPolicy = z.infer<typeof toolPolicySchema>;
export type LimitSpec = z.infer<typeof limitSchema>;
export type ConditionSpec = z.infer<typeof conditionSchema>;
export type AllToolsSpec = z.infer<typeof allToolsSchema>;
export type GrantSpec = z.infer<typeof grantSchema>;
export type WindowSpec = z.infer<typeof windowSchema>;

export function windowSeconds(window: WindowSpec): number {
  return typeof window === 'number' ? window : NAMED_WINDOWS[window];
}

function isValidRegex(pattern: string): boolean {
  try {
    compileRegex(pattern);
    return true;
  } catch {
    return false;
  }
}
