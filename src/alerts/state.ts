/**
 * The alert state machine, pure: observations in, changed states and notifications out.
 * inactive → pending (condition true) → firing (true for `for`) → resolved (false again).
 * A pending alert whose condition clears is dropped without a word; only firing and
 * resolved are notified, and a firing alert is re-notified only after `repeat_interval`.
 */
import { sha256Hex } from '../core/index.js';
import type { AlertRule, Severity } from './types.js';

export type AlertStatus = 'pending' | 'firing' | 'resolved';

/** What an evaluation found: one rule's condition holding for one agent (and tool). */
export interface Observation {
  rule: string;
  agent: string;
  tool: string;
  value: number;
  /** One human line about this instance, e.g. "74 calls/min to write tools". */
  summary: string;
}

export interface AlertState {
  fingerprint: string;
  rule: string;
  agent: string;
  tool: string;
  status: AlertStatus;
  severity: Severity;
  value: number;
  summary: string;
  activeSinceMs: number;
  firingSinceMs: number | undefined;
  resolvedAtMs: number | undefined;
  lastNotifiedMs: number | undefined;
  updatedMs: number;
}

export interface Notification {
  status: 'firing' | 'resolved';
  /** True for a re-notification of an alert that has stayed firing past `repeat_interval`. */
  repeat: boolean;
  alert: AlertState;
  rule: AlertRule;
}

export interface StepResult {
  /** States to persist (new, transitioned, or re-notified). */
  changed: AlertState[];
  /** States that are gone (a pending alert that cleared): persisted as deleted. */
  dropped: AlertState[];
  notifications: Notification[];
}

export function fingerprintOf(rule: string, agent: string, tool: string): string {
  return sha256Hex(`${rule}\u0000${agent}\u0000${tool}`).slice(0, 16);
}

/**
 * Advances every alert one evaluation. `evaluated` names the rules whose evaluation succeeded:
 * a rule whose query failed keeps its alerts as they are (an outage is not a recovery).
 */
export function stepAlerts(
  states: ReadonlyMap<string, AlertState>,
  observations: readonly Observation[],
  rules: readonly AlertRule[],
  evaluated: ReadonlySet<string>,
  nowMs: number,
): StepResult {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const result: StepResult = { changed: [], dropped: [], notifications: [] };
  const seen = new Set<string>();
  for (const obs of observations) {
    const rule = byName.get(obs.rule);
    if (!rule) continue;
    const fp = fingerprintOf(obs.rule, obs.agent, obs.tool);
    if (seen.has(fp)) continue;
    seen.add(fp);
    advanceActive(states.get(fp), fp, obs, rule, nowMs, result);
  }
  for (const [fp, state] of states) {
    if (seen.has(fp) || state.status === 'resolved') continue;
    const rule = byName.get(state.rule);
    if (rule && !evaluated.has(rule.name)) continue;
    advanceInactive(state, rule, nowMs, result);
  }
  return result;
}

function advanceActive(prev: AlertState | undefined, fp: string, obs: Observation, rule: AlertRule, nowMs: number, out: StepResult): void {
  const fresh = !prev || prev.status === 'resolved';
  const state: AlertState = {
    fingerprint: fp, rule: rule.name, agent: obs.agent, tool: obs.tool, severity: rule.severity,
    value: obs.value, summary: obs.summary, updatedMs: nowMs,
    status: fresh ? 'pending' : prev.status,
    activeSinceMs: fresh ? nowMs : prev.activeSinceMs,
    firingSinceMs: fresh ? undefined : prev.firingSinceMs,
    resolvedAtMs: undefined,
    lastNotifiedMs: fresh ? undefined : prev.lastNotifiedMs,
  };
  if (state.status === 'pending' && nowMs - state.activeSinceMs >= rule.forMs) {
    state.status = 'firing';
    state.firingSinceMs = nowMs;
    state.lastNotifiedMs = nowMs;
    out.notifications.push({ status: 'firing', repeat: false, alert: state, rule });
  } else if (state.status === 'firing' && state.lastNotifiedMs !== undefined && nowMs - state.lastNotifiedMs >= rule.repeatIntervalMs) {
    state.lastNotifiedMs = nowMs;
    out.notifications.push({ status: 'firing', repeat: true, alert: state, rule });
  }
  out.changed.push(state);
}

function advanceInactive(prev: AlertState, rule: AlertRule | undefined, nowMs: number, out: StepResult): void {
  if (prev.status === 'pending') {
    out.dropped.push({ ...prev, updatedMs: nowMs });
    return;
  }
  // Firing and its condition cleared (or its rule was removed from the file): resolved.
  const state: AlertState = { ...prev, status: 'resolved', resolvedAtMs: nowMs, updatedMs: nowMs };
  if (rule) {
    state.lastNotifiedMs = nowMs;
    out.notifications.push({ status: 'resolved', repeat: false, alert: state, rule });
  }
  out.changed.push(state);
}
