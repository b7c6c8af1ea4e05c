/**
 * The approvals `warden serve` holds. Pending ones live in memory (and in the store, written
 * before a request is acknowledged, so a restart loses none); decisions are claimed
 * synchronously, so two operators deciding at once cannot both win: the second gets
 * `already_decided` with the first's outcome.
 */
import { errorMessage, randomHexId, type Clock, type Logger } from '../core/index.js';
import type { ApprovalRepository } from './repository.js';
import { APPROVAL_LIMITS, outcomeOf, type Approval, type ApprovalDecision, type ApprovalRequest, type ApprovalStatus, type DecideResult } from './types.js';

export interface ApprovalRegistryDeps {
  repository: ApprovalRepository;
  clock: Clock;
  logger: Logger;
  /** Told of every new approval (serve notifies the alert targets); must not throw. */
  onCreated?: (approval: Approval) => void;
  /** How often pending approvals are checked for expiry. */
  sweepIntervalMs?: number;
}

/** Create refused because too many approvals are pending: a value, the API answers 503. */
export type CreateResult = { kind: 'created'; approval: Approval } | { kind: 'full'; pending: number };

type Waiter = (approval: Approval) => void;

export class ApprovalRegistry {
  private readonly pending = new Map<string, Approval>();
  private readonly recent = new Map<string, Approval>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ApprovalRegistryDeps) {}

  /** Loads the pending approvals a previous serve left, and starts expiring them on time. */
  async start(): Promise<void> {
    for (const a of await this.deps.repository.loadPending()) this.pending.set(a.id, a);
    if (this.pending.size > 0) this.deps.logger.info('approvals still pending after restart', { count: this.pending.size });
    this.sweepTimer = setInterval(() => void this.expireDue(), this.deps.sweepIntervalMs ?? 500);
    this.sweepTimer.unref();
  }

  close(): void {
    clearInterval(this.sweepTimer);
    for (const [id, set] of this.waiters) {
      const current = this.pending.get(id);
      if (current) for (const wake of set) wake(current);
    }
    this.waiters.clear();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  async create(request: ApprovalRequest): Promise<CreateResult> {
    if (this.pending.size >= APPROVAL_LIMITS.maxPending) return { kind: 'full', pending: this.pending.size };
    const now = this.deps.clock.nowMs();
    const { timeoutMs, ...rest } = request;
    const approval: Approval = {
      ...rest,
      args: rest.args.slice(0, APPROVAL_LIMITS.maxArgsChars),
      id: `apr_${randomHexId(12)}`,
      status: 'pending',
      createdAtMs: now,
      expiresAtMs: now + Math.min(timeoutMs, APPROVAL_LIMITS.maxTimeoutMs),
      decidedAtMs: undefined,
      decidedBy: '',
      decisionReason: '',
    };
    await this.deps.repository.save(approval, now);
    this.pending.set(approval.id, approval);
    this.deps.onCreated?.(approval);
    return { kind: 'created', approval };
  }

  async get(id: string): Promise<Approval | undefined> {
    return this.pending.get(id) ?? this.recent.get(id) ?? (await this.deps.repository.get(id));
  }

  /** The approval once decided, or as it stands after `waitMs` (a long-poll). */
  async wait(id: string, waitMs: number): Promise<Approval | undefined> {
    const current = await this.get(id);
    if (!current || current.status !== 'pending' || waitMs <= 0) return current;
    return new Promise<Approval>((resolve) => {
      const set = this.waiters.get(id) ?? new Set<Waiter>();
      this.waiters.set(id, set);
      const timer = setTimeout(() => wake(this.pending.get(id) ?? current), Math.min(waitMs, APPROVAL_LIMITS.maxWaitMs));
      const wake: Waiter = (a) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.waiters.delete(id);
        resolve(a);
      };
      set.add(wake);
    });
  }

  async list(opts: { status?: ApprovalStatus | undefined; limit: number }): Promise<Approval[]> {
    if (opts.status === 'pending') return [...this.pending.values()].sort((a, b) => a.createdAtMs - b.createdAtMs).slice(0, opts.limit);
    return this.deps.repository.list(opts);
  }

  stats(fromMs: number, toMs: number): ReturnType<ApprovalRepository['stats']> {
    return this.deps.repository.stats(fromMs, toMs);
  }

  async decide(id: string, decision: ApprovalDecision, by: string, reason: string): Promise<DecideResult> {
    return this.settle(id, outcomeOf(decision), by, reason);
  }

  private async settle(id: string, status: ApprovalStatus, by: string, reason: string): Promise<DecideResult> {
    const current = this.pending.get(id);
    if (!current) {
      const known = await this.get(id);
      return known ? { kind: 'already_decided', approval: known } : { kind: 'not_found' };
    }
    // Claimed before the first await: a concurrent decision sees it gone and gets 409.
    this.pending.delete(id);
    const now = this.deps.clock.nowMs();
    const decided: Approval = { ...current, status, decidedAtMs: now, decidedBy: by, decisionReason: reason };
    try {
      await this.deps.repository.save(decided, now);
    } catch (e) {
      this.pending.set(id, current);
      throw e;
    }
    this.remember(decided);
    for (const wake of [...(this.waiters.get(id) ?? [])]) wake(decided);
    return { kind: 'decided', approval: decided };
  }

  private remember(a: Approval): void {
    this.recent.set(a.id, a);
    while (this.recent.size > APPROVAL_LIMITS.recentDecided) this.recent.delete(this.recent.keys().next().value as string);
  }

  private async expireDue(): Promise<void> {
    const now = this.deps.clock.nowMs();
    for (const a of [...this.pending.values()]) {
      if (a.expiresAtMs > now) continue;
      try {
        await this.settle(a.id, 'expired', 'timeout', 'no decision before the approval timed out');
      } catch (e) {
        this.deps.logger.warn('could not record an expired approval; will retry', { id: a.id, error: errorMessage(e) });
      }
    }
  }
}
