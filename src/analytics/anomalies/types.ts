export const ANOMALY_TYPES = [
  'bulk_write_burst',
  'lifecycle_violation',
  'rate_spike',
  'repeat_loop',
  'error_loop',
  'new_tool',
  'deny_storm',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One flag. Every flag explains itself: what was seen, against what, by which method. */
export interface Anomaly {
  /** Stable for the same type, agent, tool, session and start, so alerting can de-duplicate. */
  id: string;
  type: AnomalyType;
  severity: Severity;
  agent: string;
  tool: string;
  /** MCP session, when the flag is about one session. */
  session?: string;
  start: string;
  end: string;
  observed: number;
  baseline: number;
  threshold: number;
  method: string;
  explanation: string;
  /** Calls involved (within start…end for this agent and tool). */
  calls: number;
  sample_span_ids: string[];
}

export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
}
