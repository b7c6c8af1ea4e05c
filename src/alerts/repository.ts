/** Alert state and notification history in the store (`alert_state`, `alert_events`). */
import { Tables, qualified, type StoreDriver } from '../storage/index.js';
import type { DeliveryOutcome } from './delivery.js';
import { alertLabels } from './payloads.js';
import { redactUrl } from './redact.js';
import type { AlertState, AlertStatus } from './state.js';
import type { Severity } from './types.js';

/** A stored notification as the API lists it. */
export interface AlertEventRow {
  ts: string;
  fingerprint: string;
  rule: string;
  agent: string;
  tool: string;
  status: 'firing' | 'resolved';
  repeat: boolean;
  severity: string;
  value: number;
  summary: string;
  labels: Record<string, string>;
  starts_at: string;
  target: string;
  target_type: string;
  target_url: string;
  delivery: string;
  attempts: number;
  http_status: number;
  error: string;
}

interface StateRow {
  fingerprint: string;
  rule: string;
  agent: string;
  tool: string;
  status: string;
  severity: string;
  value: number;
  summary: string;
  active_since: string;
  firing_since: string | null;
  resolved_at: string | null;
  last_notified_at: string | null;
  updated_at: string;
}

/** Resolved alerts older than this are not loaded back into memory on start. */
const RESOLVED_KEEP_MS = 24 * 3_600_000;
/** Bounds every alert query so a slow store cannot pile up evaluations. */
export const ALERT_QUERY_SETTINGS = { max_execution_time: 10 };

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const ms = (text: string | null): number | undefined => (text === null ? undefined : Date.parse(text));

export class AlertRepository {
  constructor(private readonly store: StoreDriver) {}

  async loadStates(nowMs: number): Promise<AlertState[]> {
    const rows = await this.store.query<StateRow>(
      `SELECT fingerprint, rule, agent, tool, status, severity, value, summary, active_since, firing_since, resolved_at, last_notified_at, updated_at
       FROM ${qualified(this.store.database, Tables.ALERT_STATE)} FINAL
       WHERE status != 'resolved' OR resolved_at >= fromUnixTimestamp64Milli({since:Int64})`,
      { params: { since: nowMs - RESOLVED_KEEP_MS }, settings: ALERT_QUERY_SETTINGS },
    );
    return rows.map((r) => ({
      fingerprint: r.fingerprint, rule: r.rule, agent: r.agent, tool: r.tool,
      status: r.status as AlertStatus, severity: r.severity as Severity, value: r.value, summary: r.summary,
      activeSinceMs: Date.parse(r.active_since), firingSinceMs: ms(r.firing_since), resolvedAtMs: ms(r.resolved_at),
      lastNotifiedMs: ms(r.last_notified_at), updatedMs: Date.parse(r.updated_at),
    }));
  }

  async saveStates(changed: readonly AlertState[], dropped: readonly AlertState[]): Promise<void> {
    const rows = [...changed.map((s) => stateRow(s, 0)), ...dropped.map((s) => stateRow(s, 1))];
    if (rows.length) await this.store.insertJsonEachRow(Tables.ALERT_STATE, rows);
  }

  async recordOutcome(outcome: DeliveryOutcome): Promise<void> {
    const { group } = outcome;
    const rows = group.notifications.map((n) => ({
      ts: new Date(outcome.finishedMs).toISOString(),
      fingerprint: n.alert.fingerprint, rule: n.rule.name, agent: n.alert.agent, tool: n.alert.tool,
      status: n.status, repeat: n.repeat, severity: n.alert.severity, value: n.alert.value, summary: n.alert.summary,
      labels: alertLabels(n),
      starts_at: new Date(n.alert.firingSinceMs ?? n.alert.activeSinceMs).toISOString(),
      target: group.target.name, target_type: group.target.type, target_url: redactUrl(group.target.url),
      delivery: outcome.result, attempts: Math.min(255, outcome.attempts), http_status: outcome.httpStatus, error: outcome.error,
    }));
    await this.store.insertJsonEachRow(Tables.ALERT_EVENTS, rows);
  }

  async recentEvents(opts: { limit: number; fingerprint?: string | undefined; agent?: string | undefined }): Promise<AlertEventRow[]> {
    const where: string[] = [];
    if (opts.fingerprint) where.push('fingerprint = {fingerprint:String}');
    if (opts.agent) where.push('agent = {agent:String}');
    return this.store.query<AlertEventRow>(
      `SELECT ts, fingerprint, rule, agent, tool, status, repeat, severity, value, summary, labels, starts_at,
              target, target_type, target_url, delivery, attempts, http_status, error
       FROM ${qualified(this.store.database, Tables.ALERT_EVENTS)}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ts DESC, fingerprint
       LIMIT {limit:UInt32}`,
      {
        params: { limit: opts.limit, ...(opts.fingerprint ? { fingerprint: opts.fingerprint } : {}), ...(opts.agent ? { agent: opts.agent } : {}) },
        settings: ALERT_QUERY_SETTINGS,
      },
    );
  }
}

function stateRow(s: AlertState, isDeleted: 0 | 1): Record<string, unknown> {
  return {
    fingerprint: s.fingerprint, rule: s.rule, agent: s.agent, tool: s.tool, status: s.status, severity: s.severity,
    value: s.value, summary: s.summary, active_since: iso(s.activeSinceMs), firing_since: iso(s.firingSinceMs),
    resolved_at: iso(s.resolvedAtMs), last_notified_at: iso(s.lastNotifiedMs), updated_at: iso(s.updatedMs), is_deleted: isDeleted,
  };
}
