/**
 * The operator path of an approval: register the held call with `warden serve`
 * (`POST /api/v1/approvals`, authenticated like OTLP) and long-poll it until someone decides or
 * it expires. A serve that restarts mid-wait is polled again until it answers: the approval is
 * in its store. Never throws; a serve that cannot be reached to register is a `denied` verdict.
 */
import { errorMessage, type Logger } from '../core/index.js';
import type { ApprovalGate, ApprovalVerdict, HeldCall } from './approval-hold.js';

export interface ServeApprovalGateOptions {
  /** serve's base URL, e.g. http://127.0.0.1:4318. */
  baseUrl: string;
  /** The OTLP headers (serve's bearer token). */
  headers: Record<string, string>;
  logger: Logger;
  /** How long registration is retried while serve does not answer. */
  registerForMs?: number;
  /** One long-poll's length; serve caps it at 60 s. */
  pollWaitS?: number;
}

interface ApprovalJson {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  decided_by: string;
  decision_reason: string;
}

const RETRY_MS = 500;

export class ServeApprovalGate implements ApprovalGate {
  constructor(private readonly opts: ServeApprovalGateOptions) {}

  async decide(call: HeldCall, signal: AbortSignal): Promise<ApprovalVerdict> {
    const registered = await this.register(call, signal);
    if (typeof registered === 'string') return { id: '', outcome: 'denied', by: 'warden', reason: registered };
    let current = registered;
    while (current.status === 'pending' && !signal.aborted) {
      current = (await this.poll(current.id, signal)) ?? current;
    }
    if (current.status === 'pending') return { id: current.id, outcome: 'expired', by: 'timeout', reason: 'the wait ended before a decision' };
    const outcome = current.status === 'approved' ? 'approved' : current.status;
    const reason = current.decision_reason || `${outcome} by ${current.decided_by || 'an operator'}`;
    return { id: current.id, outcome, by: current.decided_by, reason };
  }

  /** The stored approval, or why it could not be registered. */
  private async register(call: HeldCall, signal: AbortSignal): Promise<ApprovalJson | string> {
    const body = JSON.stringify({
      agent: call.agent, tool: call.tool, session: call.session, upstream: call.upstream, rule: call.rule,
      reason: call.reason, args: call.args, args_hash: call.argsHash, timeout_ms: call.timeoutMs,
    });
    const until = performance.now() + (this.opts.registerForMs ?? 10_000);
    let problem = 'not attempted';
    while (!signal.aborted && performance.now() < until) {
      try {
        const res = await fetch(`${this.opts.baseUrl}/api/v1/approvals`, {
          method: 'POST', body, headers: { ...this.opts.headers, 'content-type': 'application/json' }, signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
        });
        const json = (await res.json().catch(() => undefined)) as (ApprovalJson & { error?: { message?: string } }) | undefined;
        if (res.status === 201 && json) return json;
        problem = `warden serve answered ${res.status}${json?.error?.message ? `: ${json.error.message}` : ''}`;
        if (res.status < 500) break; // a 4xx (token, body) will not get better by retrying
      } catch (e) {
        problem = errorMessage(e);
      }
      await sleep(RETRY_MS, signal);
    }
    this.opts.logger.warn('could not register a call for approval; refusing it', { tool: call.tool, serve: this.opts.baseUrl, problem });
    return `could not register the approval with warden serve at ${this.opts.baseUrl}: ${problem}`;
  }

  private async poll(id: string, signal: AbortSignal): Promise<ApprovalJson | undefined> {
    const waitS = this.opts.pollWaitS ?? 25;
    try {
      const res = await fetch(`${this.opts.baseUrl}/api/v1/approvals/${encodeURIComponent(id)}?wait=${waitS}s`, {
        headers: this.opts.headers, signal: AbortSignal.any([signal, AbortSignal.timeout((waitS + 10) * 1000)]),
      });
      if (res.ok) return (await res.json()) as ApprovalJson;
      await res.arrayBuffer();
    } catch {
      // serve restarting or unreachable: the approval is in its store; ask again shortly.
    }
    await sleep(RETRY_MS, signal);
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
