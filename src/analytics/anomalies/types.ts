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
  /** Sessions involved, when the flag sums up many (lifecycle_violation), with the worst first. */
  sessions?: number;
  sample_sessions?: string[];
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

/** low 0 … critical 3; −1 for an unknown name. */
export function severityRank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}

export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return severityRank(severity) >= severityRank(min);
}

/** `samples: false`: a caller that reads only where the flags are (suggest) spares rate_spike its separate read of sample calls. */
export interface DetectorScope {
  agent?: string | undefined;
  samples?: boolean | undefined;
}
