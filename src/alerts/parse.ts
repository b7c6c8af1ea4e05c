/** Alerts file text (YAML or JSON) → AlertConfig, or every problem as `path: message`. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ErrorCodes, WardenError, err, ok, type Result } from '../core/index.js';
import { formatPath, problemsFromIssues } from '../policy/index.js';
import { DEFAULT_ANOMALY_THRESHOLDS } from '../analytics/index.js';
import { alertsFileSchema, type AlertsFile, type ConditionInput, type RuleInput } from './schema.js';
import type { AlertCondition, AlertConfig, AlertProblem, AlertRule, AlertTarget, DeliveryOptions } from './types.js';

export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000;
export const DEFAULT_ANOMALY_WITHIN_MS = 5 * 60_000;
/** The analytics deny_storm rule's minimum, as an alert threshold (fires strictly above). */
export const DEFAULT_DENY_STORM_ABOVE = DEFAULT_ANOMALY_THRESHOLDS.denyStorm - 1;
export const DEFAULT_DELIVERY: DeliveryOptions = {
  maxAttempts: 5, initialBackoffMs: 500, maxBackoffMs: 30_000, timeoutMs: 5_000, maxQueue: 1_000,
};

export interface ParseOptions {
  /** Shown in messages and kept as AlertConfig.source. */
  sourceName?: string;
  /** Values for `${NAME}` references in target URLs and headers (so the file need hold no secret). */
  env?: Record<string, string | undefined>;
}

export function parseAlertsText(text: string, opts: ParseOptions = {}): Result<AlertConfig, AlertProblem[]> {
  const doc = parseDocument(text, opts.sourceName);
  if (!doc.ok) return doc;
  if (doc.value === null || doc.value === undefined) return ok(buildConfig({}, opts.sourceName ?? 'inline'));
  const parsed = alertsFileSchema.safeParse(doc.value, { reportInput: true });
  if (!parsed.success) return err(problemsFromIssues(parsed.error.issues));
  const expanded = expandTargets(parsed.data, opts.env ?? {});
  if (!expanded.ok) return expanded;
  return ok(buildConfig(expanded.value, opts.sourceName ?? 'inline'));
}

/** Reads and parses a file; throws WARDEN_ALERTS_INVALID with one `path: message` line per problem. */
export function loadAlertsFile(path: string, env?: Record<string, string | undefined>): AlertConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WardenError(ErrorCodes.ALERTS_INVALID, `cannot read the alerts file ${path}: ${(cause as Error).message}`, { cause });
  }
  const result = parseAlertsText(text, { sourceName: path, ...(env ? { env } : {}) });
  if (result.ok) return result.value;
  throw new WardenError(ErrorCodes.ALERTS_INVALID, `invalid alerts file ${path}:\n${formatAlertProblems(result.error)}`, {
    details: result.error,
    hint: 'fix the lines above; without --alerts the default rules apply',
  });
}

export function formatAlertProblems(problems: AlertProblem[]): string {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('\n');
}

function parseDocument(text: string, sourceName: string | undefined): Result<unknown, AlertProblem[]> {
  const isJson = sourceName?.toLowerCase().endsWith('.json') || (!sourceName && text.trimStart().startsWith('{'));
  try {
    return ok(isJson ? (JSON.parse(text) as unknown) : (parseYaml(text, { uniqueKeys: true }) as unknown));
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
      return err([{ path: '', message: `not valid YAML: ${where}${e.message.split('\n')[0] ?? ''}` }]);
    }
    return err([{ path: '', message: `not valid ${isJson ? 'JSON' : 'YAML'}: ${(e as Error).message}` }]);
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Expands `${NAME}` in target URLs and header values and checks each URL is http(s). */
function expandTargets(file: AlertsFile, env: Record<string, string | undefined>): Result<AlertsFile, AlertProblem[]> {
  const problems: AlertProblem[] = [];
  const expand = (value: string, path: PropertyKey[]): string =>
    value.replace(ENV_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return v ?? '';
    });
  const targets: NonNullable<AlertsFile['targets']> = {};
  for (const [name, target] of Object.entries(file.targets ?? {})) {
    const url = expand(target.url, ['targets', name, 'url']);
    if (!isHttpUrl(url) && !problems.some((p) => p.path === formatPath(['targets', name, 'url']))) {
      problems.push({ path: formatPath(['targets', name, 'url']), message: 'must be an http:// or https:// URL' });
    }
    const copy = { ...target, url };
    if ('headers' in copy && copy.headers) {
      copy.headers = Object.fromEntries(Object.entries(copy.headers).map(([k, v]) => [k, expand(v, ['targets', name, 'headers', k])]));
    }
    targets[name] = copy;
  }
  return problems.length ? err(problems) : ok({ ...file, targets });
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function buildConfig(file: AlertsFile, source: string): AlertConfig {
  const repeatIntervalMs = file.repeat_interval ?? DEFAULT_REPEAT_INTERVAL_MS;
  const targets: AlertTarget[] = Object.entries(file.targets ?? {}).map(([name, t]) => ({
    name,
    type: t.type,
    url: t.url,
    headers: t.type === 'slack' ? {} : { ...(t.headers ?? {}) },
    channel: t.type === 'slack' ? t.channel : undefined,
  }));
  const d = file.delivery ?? {};
  const delivery: DeliveryOptions = {
    maxAttempts: d.max_attempts ?? DEFAULT_DELIVERY.maxAttempts,
    initialBackoffMs: d.initial_backoff ?? DEFAULT_DELIVERY.initialBackoffMs,
    maxBackoffMs: d.max_backoff ?? DEFAULT_DELIVERY.maxBackoffMs,
    timeoutMs: d.timeout ?? DEFAULT_DELIVERY.timeoutMs,
    maxQueue: d.max_queue ?? DEFAULT_DELIVERY.maxQueue,
  };
  const rules = file.rules === undefined ? undefined : file.rules.map((r) => buildRule(r, repeatIntervalMs));
  return { repeatIntervalMs, targets, rules: rules ?? defaultRules(repeatIntervalMs), delivery, source: file.rules === undefined ? `${source} (default rules)` : source };
}

function buildRule(rule: RuleInput, repeatIntervalMs: number): AlertRule {
  return {
    name: rule.name,
    description: rule.description,
    condition: buildCondition(rule.when),
    forMs: rule.for ?? 0,
    severity: rule.severity ?? 'high',
    labels: { ...(rule.labels ?? {}) },
    notify: [...(rule.notify ?? [])],
    repeatIntervalMs: rule.repeat_interval ?? repeatIntervalMs,
  };
}

function buildCondition(when: ConditionInput): AlertCondition {
  const filter = {
    ...(when.tool ? { tool: when.tool } : {}),
    ...(when.agent ? { agent: when.agent } : {}),
  };
  const perTool = when.per_tool ?? false;
  if (when.anomaly) {
    return { kind: 'anomaly', types: when.anomaly, severityAtLeast: when.severity_at_least ?? 'high', withinMs: when.within ?? DEFAULT_ANOMALY_WITHIN_MS, filter, perTool };
  }
  const metricFilter = { ...filter, ...(when.risk ? { risk: when.risk } : {}) };
  const windowS = (t: { window?: number | undefined }): number => (t.window ?? 60_000) / 1000;
  if (when.calls_per_minute) return { kind: 'calls_per_minute', above: when.calls_per_minute.above, windowS: windowS(when.calls_per_minute), filter: metricFilter, perTool };
  if (when.would_deny_per_minute) return { kind: 'would_deny_per_minute', above: when.would_deny_per_minute.above, windowS: windowS(when.would_deny_per_minute), filter: metricFilter, perTool };
  const storm = when.deny_storm === true || when.deny_storm === undefined ? { above: DEFAULT_DENY_STORM_ABOVE } : when.deny_storm;
  // A deny storm is one tool refused over and over, so it is always counted per tool; by
  // default it is exactly the analytics deny_storm rule (its minimum and window).
  const stormWindowS = storm.window === undefined ? DEFAULT_ANOMALY_THRESHOLDS.denyWindowS : windowS(storm);
  return { kind: 'deny_storm', above: storm.above, windowS: stormWindowS, filter: metricFilter, perTool: true };
}

/** The rules that apply without an alerts file (no targets: alerts show in the API and the log). */
export const DEFAULT_ALERT_RULES_FILE: AlertsFile = {
  rules: [
    { name: 'runaway-writes', when: { calls_per_minute: { above: 60 }, risk: ['write', 'execute', 'destructive'] }, for: 0, severity: 'critical' },
    { name: 'runaway-calls', when: { calls_per_minute: { above: 300 } }, for: 60_000, severity: 'high' },
    { name: 'would-deny-surge', when: { would_deny_per_minute: { above: 30 } }, for: 0, severity: 'high' },
    { name: 'deny-storm', when: { deny_storm: true }, for: 0, severity: 'high' },
    { name: 'anomalies', when: { anomaly: ['bulk_write_burst', 'lifecycle_violation', 'repeat_loop', 'deny_storm'], severity_at_least: 'high' }, severity: 'high' },
  ],
};

function defaultRules(repeatIntervalMs: number): AlertRule[] {
  return (DEFAULT_ALERT_RULES_FILE.rules ?? []).map((r) => buildRule(r, repeatIntervalMs));
}

export const DEFAULT_ALERT_RULES: readonly AlertRule[] = defaultRules(DEFAULT_REPEAT_INTERVAL_MS);

/** The configuration when no alerts file is given. */
export function defaultAlertConfig(): AlertConfig {
  return buildConfig({}, 'defaults');
}
