/** Approvals in the store (`approvals`, one row per change; the latest wins under FINAL). */
import { Tables, qualified, type StoreDriver } from '../storage/index.js';
import type { Approval, ApprovalStatus } from './types.js';

/** Approvals of one agent's calls to one tool over a range (operator-decided ones; see README). */
export interface ApprovalStats {
  agent: string;
  tool: string;
  requested: number;
  approved: number;
  denied: number;
  expired: number;
  pending: number;
  /** approved / (approved + denied + expired); 0 when none was decided. */
  approval_rate: number;
  /** Null while none of them has been decided (no wait to measure yet). */
  wait_p50_ms: number | null;
  wait_max_ms: number | null;
}

interface ApprovalRow {
  id: string;
  status: string;
  agent: string;
  tool: string;
  session: string;
  upstream: string;
  rule: string;
  reason: string;
  args: string;
  args_hash: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string;
  decision_reason: string;
}

const COLUMNS = 'id, status, agent, tool, session, upstream, rule, reason, args, args_hash, created_at, expires_at, decided_at, decided_by, decision_reason';
/** Bounds every approvals query: the API answers from memory, the store is for restarts and history. */
const QUERY_SETTINGS = { max_execution_time: 10 };

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export class ApprovalRepository {
  constructor(private readonly store: StoreDriver) {}

  private get table(): string {
    return qualified(this.store.database, Tables.APPROVALS);
  }

  async save(approval: Approval, updatedMs: number): Promise<void> {
    await this.store.insertJsonEachRow(Tables.APPROVALS, [toRow(approval, updatedMs)]);
  }

  /** Pending approvals (to hold again after a restart), oldest first. */
  async loadPending(): Promise<Approval[]> {
    const rows = await this.store.query<ApprovalRow>(
      `SELECT ${COLUMNS} FROM ${this.table} FINAL WHERE status = 'pending' ORDER BY created_at`,
      { settings: QUERY_SETTINGS },
    );
    return rows.map(fromRow);
  }

  async get(id: string): Promise<Approval | undefined> {
    const rows = await this.store.query<ApprovalRow>(`SELECT ${COLUMNS} FROM ${this.table} FINAL WHERE id = {id:String}`, {
      params: { id },
      settings: QUERY_SETTINGS,
    });
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /**
   * Per agent and tool over [fromMs, toMs): how many calls were held, how they ended, the
   * approval rate among decided ones, and how long people took (decided_at − created_at).
   */
  async stats(fromMs: number, toMs: number): Promise<ApprovalStats[]> {
    return this.store.query<ApprovalStats>(
      `SELECT agent, tool, count() AS requested,
              countIf(status = 'approved') AS approved, countIf(status = 'denied') AS denied,
              countIf(status = 'expired') AS expired, countIf(status = 'pending') AS pending,
              if(approved + denied + expired = 0, 0, approved / (approved + denied + expired)) AS approval_rate,
              quantileExactIf(0.5)(dateDiff('millisecond', created_at, decided_at), status IN ('approved', 'denied')) AS wait_p50_ms,
              maxIf(dateDiff('millisecond', created_at, decided_at), status IN ('approved', 'denied')) AS wait_max_ms
       FROM ${this.table} FINAL
       WHERE created_at >= fromUnixTimestamp64Milli({from:Int64}) AND created_at < fromUnixTimestamp64Milli({to:Int64})
       GROUP BY agent, tool ORDER BY requested DESC, agent, tool`,
      { params: { from: fromMs, to: toMs }, settings: QUERY_SETTINGS },
    );
  }

  /** Most recent first; `status` filters. */
  async list(opts: { status?: ApprovalStatus | undefined; limit: number }): Promise<Approval[]> {
    const rows = await this.store.query<ApprovalRow>(
      `SELECT ${COLUMNS} FROM ${this.table} FINAL ${opts.status ? 'WHERE status = {status:String}' : ''}
       ORDER BY created_at DESC, id LIMIT {limit:UInt32}`,
      { params: { limit: opts.limit, ...(opts.status ? { status: opts.status } : {}) }, settings: QUERY_SETTINGS },
    );
    return rows.map(fromRow);
  }
}

function toRow(a: Approval, updatedMs: number): Record<string, unknown> {
  return {
    id: a.id, status: a.status, agent: a.agent, tool: a.tool, session: a.session, upstream: a.upstream, rule: a.rule,
    reason: a.reason, args: a.args, args_hash: a.argsHash, created_at: iso(a.createdAtMs), expires_at: iso(a.expiresAtMs),
    decided_at: iso(a.decidedAtMs), decided_by: a.decidedBy, decision_reason: a.decisionReason, updated_at: iso(updatedMs),
  };
}

function fromRow(r: ApprovalRow): Approval {
  return {
    id: r.id, status: r.status as ApprovalStatus, agent: r.agent, tool: r.tool, session: r.session, upstream: r.upstream,
    rule: r.rule, reason: r.reason, args: r.args, argsHash: r.args_hash, createdAtMs: Date.parse(r.created_at),
    expiresAtMs: Date.parse(r.expires_at), decidedAtMs: r.decided_at === null ? undefined : Date.parse(r.decided_at),
    decidedBy: r.decided_by, decisionReason: r.decision_reason,
  };
}
