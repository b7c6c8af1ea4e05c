/**
 * A `tools/call` held for a person's decision (enforce mode, `action: approve`). The person at
 * the client is asked through MCP elicitation when the policy says `approver: user` and the
 * client declared the capability; otherwise an operator decides on `warden serve` through an
 * ApprovalGate. Either way the wait is bounded by `--approval-timeout`, a client that gave a
 * progress token hears progress so it does not time out, and the outcome is a value.
 */
import type { Approver } from '../policy/index.js';
import type { ApprovalRecord } from '../telemetry/index.js';

/** What a person is shown and what serve stores: the call as the recording mode allows. */
export interface HeldCall {
  agent: string;
  tool: string;
  session: string;
  upstream: string;
  rule: string;
  reason: string;
  /** The arguments as recorded (`sha256:…` by default; redacted or full when configured). */
  args: string;
  argsHash: string;
  timeoutMs: number;
}

export type ApprovalVerdict = Omit<ApprovalRecord, 'waitMs'> & { reason: string };

/**
 * An operator's decision, from `warden serve`. Never throws: an unreachable serve is a
 * `denied` verdict by `warden` whose reason says so (the call does not run unapproved).
 */
export interface ApprovalGate {
  decide(call: HeldCall, signal: AbortSignal): Promise<ApprovalVerdict>;
}

/** The MCP elicitation result shape (`elicitation/create`), as much as Warden reads. */
export interface ElicitationAnswer {
  action?: unknown;
  content?: { approve?: unknown } | undefined;
}

/** What the relay does for a hold: ask the client, report progress. */
export interface HoldIo {
  elicit(params: Record<string, unknown>, signal: AbortSignal): Promise<ElicitationAnswer>;
  progress(message: string, elapsedMs: number): void;
}

export interface HoldOptions {
  approver: Approver;
  clientCanElicit: boolean;
  gate: ApprovalGate | undefined;
  /** How often a waiting client with a progress token hears from the proxy. */
  progressEveryMs: number;
  signal: AbortSignal;
}

/** Elicitation schemas allow only flat primitive properties; one boolean is the whole form. */
export function elicitationParams(call: HeldCall): Record<string, unknown> {
  return {
    message: `Warden: agent "${call.agent}" wants to call the tool "${call.tool}" on ${call.upstream || 'its MCP server'}. ` +
      `${call.reason}. Arguments (as recorded): ${call.args}. Approve this call?`,
    requestedSchema: {
      type: 'object',
      properties: { approve: { type: 'boolean', title: 'Approve this call', description: `run ${call.tool} now`, default: false } },
      required: ['approve'],
    },
  };
}

/** Approved only on an explicit accept with `approve: true`; anything else is a no. */
export function verdictFromElicitation(answer: ElicitationAnswer, who: string): ApprovalVerdict {
  const approved = answer.action === 'accept' && answer.content?.approve === true;
  const action = typeof answer.action === 'string' ? answer.action : 'an unreadable answer';
  return { id: 'elicitation', outcome: approved ? 'approved' : 'denied', by: who, reason: approved ? 'approved at the client' : `the person at the client answered ${action}` };
}

/** serve expires an operator's request on its own clock; the proxy's own deadline is a safety net just after it. */
const GATE_GRACE_MS = 5_000;

export async function awaitApproval(call: HeldCall, opts: HoldOptions, io: HoldIo): Promise<ApprovalRecord & { reason: string }> {
  const started = performance.now();
  const local = new AbortController();
  const signal = AbortSignal.any([opts.signal, local.signal]);
  const ticker = setInterval(() => io.progress(`waiting for approval of ${call.tool}`, performance.now() - started), opts.progressEveryMs);
  const askUser = opts.approver === 'user' && opts.clientCanElicit;
  let deadline: NodeJS.Timeout | undefined;
  const expired = new Promise<ApprovalVerdict>((resolve) => {
    const reason = `no decision within ${Math.round(call.timeoutMs / 1000)} s`;
    deadline = setTimeout(() => resolve({ id: askUser ? 'elicitation' : '', outcome: 'expired', by: 'timeout', reason }), call.timeoutMs + (askUser ? 0 : GATE_GRACE_MS));
  });
  try {
    const asking = askUser
      ? io.elicit(elicitationParams(call), signal).then((answer) => verdictFromElicitation(answer, call.agent), (e: unknown) => noVerdict('elicitation', `the client could not be asked: ${String(e)}`))
      : opts.gate
        ? opts.gate.decide(call, signal)
        : Promise.resolve(noVerdict('', 'no approver is configured (run warden serve, or set approver: user for a client that supports elicitation)'));
    const verdict = await Promise.race([asking, expired]);
    return { ...verdict, waitMs: performance.now() - started };
  } finally {
    clearInterval(ticker);
    clearTimeout(deadline);
    local.abort(); // stops the gate's polling or the client's elicitation wait
  }
}

function noVerdict(id: string, reason: string): ApprovalVerdict {
  return { id, outcome: 'denied', by: 'warden', reason };
}
