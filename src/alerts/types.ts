/** Parsed alert rules and targets: the one definition Warden's loop and Grafana's rules share. */
import type { ANOMALY_TYPES, RISK_CLASSES, SEVERITIES, TARGET_TYPES } from './schema.js';

export type Severity = (typeof SEVERITIES)[number];
export type RiskClass = (typeof RISK_CLASSES)[number];
export type AnomalyType = (typeof ANOMALY_TYPES)[number];
export type TargetType = (typeof TARGET_TYPES)[number];

/** Which calls a metric rule counts. */
export interface CallFilter {
  risk?: RiskClass[];
  tool?: string[];
  agent?: string[];
}

export type MetricKind = 'calls_per_minute' | 'would_deny_per_minute' | 'deny_storm';

/**
 * A per-minute rate per agent (or agent + tool) over a rolling window ending at evaluation
 * time (default 60 s, so the rate is the plain count), compared to `above`.
 */
export interface MetricCondition {
  kind: MetricKind;
  above: number;
  windowS: number;
  filter: CallFilter;
  perTool: boolean;
}

/** Anomalies from the analytics detectors whose end lies within `withinMs` of now. */
export interface AnomalyCondition {
  kind: 'anomaly';
  types: AnomalyType[];
  severityAtLeast: Severity;
  withinMs: number;
  filter: Omit<CallFilter, 'risk'>;
  perTool: boolean;
}

export type AlertCondition = MetricCondition | AnomalyCondition;

export interface AlertRule {
  name: string;
  description: string | undefined;
  condition: AlertCondition;
  forMs: number;
  severity: Severity;
  labels: Record<string, string>;
  notify: string[];
  repeatIntervalMs: number;
}

export interface AlertTarget {
  name: string;
  type: TargetType;
  url: string;
  headers: Record<string, string>;
  /** Slack only: overrides the incoming webhook's default channel. */
  channel: string | undefined;
}

export interface DeliveryOptions {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** Messages waiting per target; beyond this the oldest is dropped (and recorded as dropped). */
  maxQueue: number;
}

export interface AlertConfig {
  repeatIntervalMs: number;
  targets: AlertTarget[];
  rules: AlertRule[];
  delivery: DeliveryOptions;
  /** Where the rules came from: a file path, or "defaults". */
  source: string;
}

export interface AlertProblem {
  path: string;
  message: string;
}

export function isMetricCondition(c: AlertCondition): c is MetricCondition {
  return c.kind !== 'anomaly';
}

export { severityRank } from '../analytics/index.js';
