/**
 * Tells people an approval is waiting: a message to each webhook and Slack target of the
 * alerts file, with a link to the console where it is decided. Best effort and bounded: a
 * few attempts each within the approval's own lifetime; a failure is logged (scrubbed of the
 * target's secrets) and never holds up the request.
 */
import { errorMessage, type Logger } from '../core/index.js';
import { escapeSlackText, redactUrl, scrub, secretsOf, type AlertTarget } from '../alerts/index.js';
import type { Approval } from './types.js';

export interface ApprovalNotifierOptions {
  targets: readonly AlertTarget[];
  logger: Logger;
  /** Where serve is reachable, e.g. http://127.0.0.1:4318 (resolved once listening). */
  baseUrl: () => string;
  attempts?: number;
  timeoutMs?: number;
}

export function approvalLinks(baseUrl: string, id: string): { console: string; api: string } {
  return { console: `${baseUrl}/#/approvals/${encodeURIComponent(id)}`, api: `${baseUrl}/api/v1/approvals/${encodeURIComponent(id)}` };
}

export function approvalMessage(target: AlertTarget, approval: Approval, baseUrl: string): unknown {
  const links = approvalLinks(baseUrl, approval.id);
  if (target.type === 'slack') {
    const text =
      `:raised_hand: Warden: agent *${escapeSlackText(approval.agent)}* asks to call *${escapeSlackText(approval.tool)}*` +
      ` (${escapeSlackText(approval.reason)}). Decide before ${new Date(approval.expiresAtMs).toISOString()}: <${links.console}|open in the console>`;
    return { text, ...(target.channel ? { channel: target.channel } : {}), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  return {
    version: '1',
    source: 'warden',
    kind: 'approval_request',
    approval: {
      id: approval.id, agent: approval.agent, tool: approval.tool, session: approval.session, upstream: approval.upstream,
      rule: approval.rule, reason: approval.reason, args: approval.args, created_at: new Date(approval.createdAtMs).toISOString(),
      expires_at: new Date(approval.expiresAtMs).toISOString(),
    },
    console_url: links.console,
    decide_url: `${links.api}/decision`,
  };
}

export class ApprovalNotifier {
  private readonly targets: readonly AlertTarget[];

  constructor(private readonly opts: ApprovalNotifierOptions) {
    this.targets = opts.targets.filter((t) => t.type === 'webhook' || t.type === 'slack');
  }

  notify(approval: Approval): void {
    for (const target of this.targets) void this.deliver(target, approval);
  }

  private async deliver(target: AlertTarget, approval: Approval): Promise<void> {
    const body = JSON.stringify(approvalMessage(target, approval, this.opts.baseUrl()));
    const attempts = this.opts.attempts ?? 3;
    let error = '';
    for (let attempt = 1; attempt <= attempts && Date.now() < approval.expiresAtMs; attempt += 1) {
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'warden-approvals', ...(target.type === 'webhook' ? target.headers : {}) },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
          redirect: 'error',
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        error = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (e) {
        error = errorMessage(e);
      }
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    this.opts.logger.warn('approval notification failed', { target: target.name, url: redactUrl(target.url), id: approval.id, error: scrub(error, secretsOf(target)) });
  }
}
