/**
 * The relay's side of approvals: one per agent session. It knows whether the client can be
 * asked (elicitation capability from `initialize`), sends the proxy's own `elicitation/create`
 * requests and routes their answers back, reports progress, and writes the outcome into the
 * call's record (`warden.approval.*`; an approved call is recorded as allowed and enforced).
 */
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { randomHexId } from '../core/index.js';
import type { CallContext, ToolCallStart } from '../telemetry/index.js';
import { awaitApproval, type ApprovalGate, type ElicitationAnswer, type HeldCall } from './approval-hold.js';

/** What `warden proxy` configures for holds (wired in src/cli). */
export interface RelayApprovals {
  gate: ApprovalGate | undefined;
  timeoutMs: number;
  /** The arguments as the recording mode allows, and their hash. */
  describeArgs(args: unknown): { text: string; hash: string };
  progressEveryMs?: number;
}

type Reply = { id?: RequestId; result?: unknown; error?: { message?: unknown } };
type Send = (message: JSONRPCMessage, relatedRequestId?: RequestId) => void;

const OWN_ID_PREFIX = 'warden-approval-';

export class ApprovalHolds {
  private clientCanElicit = false;
  private readonly asked = new Map<string, (reply: Reply) => void>();

  constructor(private readonly opts: RelayApprovals, private readonly send: Send) {}

  noteClientCapabilities(params: Record<string, unknown> | undefined): void {
    const caps = params?.capabilities as { elicitation?: unknown } | undefined;
    this.clientCanElicit = caps?.elicitation !== undefined && caps.elicitation !== null;
  }

  /** True when `message` answered one of the proxy's own requests (and was consumed). */
  answered(message: Reply): boolean {
    if (typeof message.id !== 'string' || !message.id.startsWith(OWN_ID_PREFIX)) return false;
    const resolve = this.asked.get(message.id);
    if (!resolve) return true; // a late answer to a request already given up: not the upstream's business either
    resolve(message);
    return true;
  }

  async await(start: ToolCallStart, ctx: CallContext, id: RequestId, progressToken: string | number | undefined, signal: AbortSignal): Promise<{ approved: boolean }> {
    const { text, hash } = this.opts.describeArgs(start.args);
    const call: HeldCall = {
      agent: ctx.agent, tool: start.tool, session: ctx.sessionId ?? '', upstream: ctx.upstream, rule: start.decision.rule,
      reason: start.decision.reason, args: text, argsHash: hash, timeoutMs: this.opts.timeoutMs,
    };
    let step = 0;
    const record = await awaitApproval(call, {
      approver: start.decision.approver ?? 'operator',
      clientCanElicit: this.clientCanElicit,
      gate: this.opts.gate,
      progressEveryMs: this.opts.progressEveryMs ?? 10_000,
      signal,
    }, {
      elicit: (params, abort) => this.elicit(params, abort, id),
      progress: (message) => {
        if (progressToken === undefined) return;
        step += 1;
        this.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: step, message } }, id);
      },
    });
    start.approval = { id: record.id, outcome: record.outcome, by: record.by, waitMs: record.waitMs };
    const approved = record.outcome === 'approved';
    const reason = `${start.decision.reason} — ${record.outcome}${record.by ? ` by ${record.by}` : ''}${record.reason ? `: ${record.reason}` : ''}`;
    if (approved) {
      start.decision = { ...start.decision, decision: 'allow', reason };
      start.enforced = true;
    } else {
      start.decision = { ...start.decision, reason };
    }
    return { approved };
  }

  private elicit(params: Record<string, unknown>, signal: AbortSignal, related: RequestId): Promise<ElicitationAnswer> {
    const requestId = `${OWN_ID_PREFIX}${randomHexId(8)}`;
    return new Promise<ElicitationAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        this.asked.delete(requestId);
        this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the approval wait ended' } }, related);
        reject(new Error('the approval wait ended'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.asked.set(requestId, (reply) => {
        signal.removeEventListener('abort', onAbort);
        this.asked.delete(requestId);
        if (reply.error) reject(new Error(String(reply.error.message ?? 'the client refused the elicitation')));
        else resolve((reply.result ?? {}) as ElicitationAnswer);
      });
      this.send({ jsonrpc: '2.0', id: requestId, method: 'elicitation/create', params } as JSONRPCMessage, related);
    });
  }
}
