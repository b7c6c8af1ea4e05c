/** One evaluation of every rule against the store (metric rules) and the detectors (anomaly rules). */
import { errorMessage } from '../core/index.js';
import type { StoreDriver } from '../storage/index.js';
import { describeFilter } from './definitions.js';
import { ALERT_QUERY_SETTINGS } from './repository.js';
import { wardenMetricQuery } from './sql.js';
import type { Observation } from './state.js';
import { severityRank, type AlertRule, type AnomalyCondition, type AnomalyType, type MetricCondition } from './types.js';

/** An anomaly as the analytics detectors report it (the fields alerting needs). */
export interface AlertAnomaly {
  type: string;
  severity: string;
  agent: string;
  tool?: string | undefined;
  /** ISO-8601 end of the anomalous interval. */
  end: string;
  explanation?: string | undefined;
}

/** The seam to src/analytics; serve wires the real detectors in. */
export interface AnomalySource {
  /** Anomalies of the given types overlapping [fromMs, toMs). */
  anomalies(query: { fromMs: number; toMs: number; types: AnomalyType[] }): Promise<AlertAnomaly[]>;
}

export interface EvaluationResult {
  observations: Observation[];
  /** Rules whose evaluation succeeded (only these may resolve alerts). */
  evaluated: Set<string>;
  failures: Array<{ rule: string; error: string }>;
}

const UNITS = { calls_per_minute: 'calls', would_deny_per_minute: 'would-be denials', deny_storm: 'enforced denials' } as const;

export async function evaluateRules(
  store: StoreDriver,
  rules: readonly AlertRule[],
  anomalySource: AnomalySource | undefined,
  nowMs: number,
): Promise<EvaluationResult> {
  const result: EvaluationResult = { observations: [], evaluated: new Set(), failures: [] };
  const anomalies = lazyAnomalies(rules, anomalySource, nowMs);
  for (const rule of rules) {
    try {
      const c = rule.condition;
      if (c.kind !== 'anomaly') {
        result.observations.push(...(await evaluateMetric(store, rule, c, nowMs)));
        result.evaluated.add(rule.name);
        continue;
      }
      const fetched = await anomalies();
      // What the working detectors found still fires; a rule missing a detector cannot resolve.
      result.observations.push(...matchAnomalies(rule, c, fetched.anomalies, nowMs));
      const failed = fetched.failed.filter((f) => (c.types as string[]).includes(f.type));
      if (failed.length === 0) result.evaluated.add(rule.name);
      else result.failures.push({ rule: rule.name, error: failed.map((f) => `${f.type}: ${f.error}`).join('; ') });
    } catch (e) {
      result.failures.push({ rule: rule.name, error: errorMessage(e) });
    }
  }
  return result;
}

function formatRate(value: number, windowS: number): string {
  return windowS === 60 ? String(value) : String(Math.round(value * 10) / 10);
}

async function evaluateMetric(store: StoreDriver, rule: AlertRule, c: MetricCondition, nowMs: number): Promise<Observation[]> {
  const q = wardenMetricQuery(c, store.database, nowMs);
  const rows = await store.query<{ agent: string; tool: string; value: number }>(q.sql, { params: q.params, settings: ALERT_QUERY_SETTINGS });
  return rows.map((r) => ({
    rule: rule.name,
    agent: r.agent,
    tool: r.tool,
    value: Number(r.value),
    summary: `${formatRate(Number(r.value), c.windowS)} ${UNITS[c.kind]}/min${r.tool ? ` to ${r.tool}` : ''} > ${c.above} (rolling ${c.windowS} s${describeFilter(c) ? `; ${describeFilter(c)}` : ''})`,
  }));
}

interface FetchedAnomalies {
  anomalies: AlertAnomaly[];
  /** Detectors that failed this time (e.g. a query over its memory share); the others still count. */
  failed: Array<{ type: AnomalyType; error: string }>;
}

/**
 * Fetches anomalies once per evaluation, and only when some rule needs them: one detector
 * at a time, so one that fails (say, over its memory share at a very high call rate) does not
 * take the others' findings with it.
 */
function lazyAnomalies(rules: readonly AlertRule[], source: AnomalySource | undefined, nowMs: number): () => Promise<FetchedAnomalies> {
  const conditions = rules.flatMap((r) => (r.condition.kind === 'anomaly' ? [r.condition] : []));
  const types = [...new Set(conditions.flatMap((c) => c.types))];
  const withinMs = Math.max(0, ...conditions.map((c) => c.withinMs));
  let pending: Promise<FetchedAnomalies> | undefined;
  const fetchAll = async (from: AnomalySource): Promise<FetchedAnomalies> => {
    const out: FetchedAnomalies = { anomalies: [], failed: [] };
    for (const type of types) {
      try {
        out.anomalies.push(...(await from.anomalies({ fromMs: nowMs - withinMs, toMs: nowMs, types: [type] })));
      } catch (e) {
        out.failed.push({ type, error: errorMessage(e) });
      }
    }
    return out;
  };
  return () => {
    if (!source) return Promise.reject(new Error('anomaly detection is not available in this process'));
    pending ??= fetchAll(source);
    return pending;
  };
}

function matchAnomalies(rule: AlertRule, c: AnomalyCondition, anomalies: readonly AlertAnomaly[], nowMs: number): Observation[] {
  const byKey = new Map<string, { agent: string; tool: string; types: Set<string>; count: number; worst: string; text: string }>();
  for (const a of anomalies) {
    if (!(c.types as string[]).includes(a.type)) continue;
    if (severityRank(a.severity) < severityRank(c.severityAtLeast)) continue;
    if (Date.parse(a.end) < nowMs - c.withinMs) continue;
    if (c.filter.agent && !c.filter.agent.includes(a.agent)) continue;
    if (c.filter.tool && !(a.tool && c.filter.tool.includes(a.tool))) continue;
    const tool = c.perTool ? (a.tool ?? '') : '';
    const key = `${a.agent}\u0000${tool}`;
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { agent: a.agent, tool, types: new Set(), count: 0, worst: a.severity, text: a.explanation ?? a.type }));
    entry.types.add(a.type);
    entry.count += 1;
    if (severityRank(a.severity) > severityRank(entry.worst)) entry.worst = a.severity;
  }
  return [...byKey.values()].map((e) => ({
    rule: rule.name,
    agent: e.agent,
    tool: e.tool,
    value: e.count,
    summary: `${e.count} anomal${e.count === 1 ? 'y' : 'ies'} (${[...e.types].join(', ')}; worst ${e.worst}): ${e.text}`,
  }));
}
