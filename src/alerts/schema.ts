/**
 * The alerts file (`warden serve --alerts alerts.yaml`) as a zod schema. Unknown keys are
 * errors (a typo must not silently disable a rule); every problem is reported in one pass
 * as `path: message`, like `warden policy check`.
 */
import { z } from 'zod';
import { parseDurationMs } from '../core/index.js';
import { RISK_CLASSES } from '../policy/index.js';

import { ANOMALY_TYPES, SEVERITIES } from '../analytics/index.js';

export { RISK_CLASSES };
/** Alert and anomaly severities (lowest first) and anomaly types have one home: src/analytics/anomalies/types.ts. */
export { ANOMALY_TYPES, SEVERITIES };
export const TARGET_TYPES = ['webhook', 'slack', 'alertmanager'] as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Alertmanager (Prometheus) label names. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const durationSchema = z
  .union([z.string(), z.number().nonnegative()])
  .transform((value, ctx) => {
    try {
      return parseDurationMs(String(value));
    } catch {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use e.g. 0s, 30s, 5m, 4h)` });
      return z.NEVER;
    }
  });

const nameList = z.array(z.string().min(1)).min(1);
const windowSchema = durationSchema.refine((ms) => ms >= 1000 && ms <= 3_600_000 && ms % 1000 === 0, 'must be whole seconds between 1s and 1h');
const threshold = z.strictObject({
  above: z.number().nonnegative().describe('fires when the per-minute rate is strictly above this'),
  window: windowSchema.optional().describe('rolling window the rate is measured over (default 60s); shorter reacts and clears faster'),
});

export const conditionSchema = z
  .strictObject({
    calls_per_minute: threshold.optional().describe('calls in the rolling last 60 s, per agent'),
    would_deny_per_minute: threshold.optional().describe('audit-mode would-be denials in the rolling last 60 s, per agent'),
    deny_storm: z.union([z.literal(true), threshold]).optional().describe('the deny_storm anomaly rule: enforced denials of one tool in a rolling window (default: at least 10 in 60 s, i.e. above 9)'),
    anomaly: z.array(z.enum(ANOMALY_TYPES)).min(1).optional().describe('anomaly types from the analytics detectors'),
    severity_at_least: z.enum(SEVERITIES).optional(),
    within: durationSchema.optional().describe('anomaly rules: an anomaly counts while it ended less than this long ago (default 5m)'),
    risk: z.array(z.enum(RISK_CLASSES)).min(1).optional(),
    tool: nameList.optional(),
    agent: nameList.optional(),
    per_tool: z.boolean().optional().describe('one alert per agent and tool instead of per agent'),
  })
  .superRefine((when, ctx) => {
    const kinds = (['calls_per_minute', 'would_deny_per_minute', 'deny_storm', 'anomaly'] as const).filter((k) => when[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0
          ? 'needs one of calls_per_minute, would_deny_per_minute, deny_storm, anomaly'
          : `has ${kinds.join(' and ')}; a rule has exactly one condition (write two rules)`,
      });
    }
    const isAnomaly = when.anomaly !== undefined;
    if (!isAnomaly && when.severity_at_least !== undefined) ctx.addIssue({ code: 'custom', path: ['severity_at_least'], message: 'applies to anomaly rules only' });
    if (!isAnomaly && when.within !== undefined) ctx.addIssue({ code: 'custom', path: ['within'], message: 'applies to anomaly rules only' });
    if (isAnomaly && when.risk !== undefined) ctx.addIssue({ code: 'custom', path: ['risk'], message: 'anomaly rules filter by agent and tool only' });
  });

export const ruleSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be letters, digits, "_", "." or "-"'),
  description: z.string().optional(),
  when: conditionSchema,
  for: durationSchema.optional().describe('the condition must hold this long before the alert fires (default 0s)'),
  severity: z.enum(SEVERITIES).optional(),
  labels: z.record(z.string().regex(LABEL_NAME, 'label names are letters, digits and "_"'), z.string()).optional(),
  notify: z.array(z.string().min(1)).optional(),
  repeat_interval: durationSchema.optional(),
});

const headersSchema = z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name'), z.string());

export const targetSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), url: z.string(), headers: headersSchema.optional() }),
  z.strictObject({ type: z.literal('slack'), url: z.string(), channel: z.string().optional() }),
  z.strictObject({ type: z.literal('alertmanager'), url: z.string(), headers: headersSchema.optional() }),
]);

export const deliverySchema = z.strictObject({
  max_attempts: z.number().int().min(1).max(20).optional(),
  initial_backoff: durationSchema.optional(),
  max_backoff: durationSchema.optional(),
  timeout: durationSchema.optional(),
  max_queue: z.number().int().min(1).optional(),
});

export const alertsFileSchema = z
  .strictObject({
    repeat_interval: durationSchema.optional(),
    targets: z.record(z.string().regex(NAME, 'target names are letters, digits, "_", "." or "-"'), targetSchema).optional(),
    rules: z.array(ruleSchema).optional(),
    delivery: deliverySchema.optional(),
  })
  // Cross-references are checked even when other parts of the file are invalid, so one
  // pass reports every problem; the input may then be partly malformed, hence the guards.
  .superRefine((file, ctx) => {
    const targets = new Set(Object.keys(isObject(file.targets) ? file.targets : {}));
    const seen = new Map<string, number>();
    (Array.isArray(file.rules) ? file.rules : []).forEach((rule: unknown, i) => {
      if (!isObject(rule)) return;
      if (typeof rule.name === 'string') {
        const first = seen.get(rule.name);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${rule.name}" (also rules[${first}])` });
        else seen.set(rule.name, i);
      }
      (Array.isArray(rule.notify) ? rule.notify : []).forEach((t: unknown, j) => {
        if (typeof t === 'string' && !targets.has(t)) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'notify', j], message: `unknown target "${t}"${targets.size ? ` (targets: ${[...targets].join(', ')})` : ' (no targets are defined)'}` });
        }
      });
    });
  }, { when: (payload) => isObject(payload.value) });

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export type AlertsFile = z.infer<typeof alertsFileSchema>;
export type RuleInput = z.infer<typeof ruleSchema>;
export type ConditionInput = z.infer<typeof conditionSchema>;
export type TargetInput = z.infer<typeof targetSchema>;
