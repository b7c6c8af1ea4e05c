/**
 * Approvals: a call to an `action: approve` tool, held by a proxy in enforce mode until a
 * person decides. The proxy registers it with `warden serve`; an operator approves or denies
 * it (console, CLI, API); an unanswered one expires at `expiresAtMs`.
 */
import type { HeldCall } from '../proxy/index.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** What a person can decide. */
export const APPROVAL_DECISIONS = ['approve', 'deny'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** Bounds on what a proxy may ask for, so one client cannot hold serve's memory or a wait forever. */
export const APPROVAL_LIMITS = {
  /** Longest lifetime a request may ask for. */
  maxTimeoutMs: 24 * 3_600_000,
  /** Pending approvals held at once; past it a new request is refused with 503. */
  maxPending: 10_000,
  /** Longest single long-poll (`?wait=`); the proxy polls again after it. */
  maxWaitMs: 60_000,
  /** Recorded arguments kept per approval (the proxy already hashes or redacts them). */
  maxArgsChars: 16_384,
  /** Decided approvals kept in memory for GET (older ones are read from the store). */
  recentDecided: 1_000,
} as const;

/** What a proxy registers: the held call as its recording mode allows (the proxy's own shape). */
export type ApprovalRequest = HeldCall;

export interface Approval extends Omit<ApprovalRequest, 'timeoutMs'> {
  id: string;
  status: ApprovalStatus;
  createdAtMs: number;
  expiresAtMs: number;
  decidedAtMs: number | undefined;
  /** Who decided: an operator's name from the token, `api-token`, `local`, or `timeout`. */
  decidedBy: string;
  decisionReason: string;
}

/** The outcome of a decision, as a value: the API maps these to 200 / 404 / 409. */
export type DecideResult =
  | { kind: 'decided'; approval: Approval }
  | { kind: 'not_found' }
  | { kind: 'already_decided'; approval: Approval };

export function outcomeOf(decision: ApprovalDecision): ApprovalStatus {
  return decision === 'approve' ? 'approved' : 'denied';
}
