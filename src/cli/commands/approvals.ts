/**
 * `warden approvals list|approve ID|deny ID [--reason …]`: an operator decides held calls on a
 * running `warden serve`. The token comes from WARDEN_API_TOKEN or --token-file (never argv);
 * serve names the decider from it.
 */
import type { Command } from 'commander';
import { DEFAULT_API_URL } from '../../config/index.js';
import { ApiClient, cliApiToken } from '../api-client.js';

interface ApprovalsFlags {
  api: string;
  tokenFile?: string;
  json?: boolean;
}

interface ApprovalJson {
  id: string;
  status: string;
  agent: string;
  tool: string;
  reason: string;
  args: string;
  created_at: string;
  expires_at: string;
  decided_by: string;
  decision_reason: string;
}

function client(flags: ApprovalsFlags): ApiClient {
  return new ApiClient(flags.api, cliApiToken(flags.tokenFile));
}

function common(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'the running warden serve', DEFAULT_API_URL)
    .option('--token-file <file>', 'a file holding your bearer token (else env WARDEN_API_TOKEN)')
    .option('--json', 'print JSON');
}

function line(a: ApprovalJson): string {
  const decided = a.status === 'pending' ? `expires ${a.expires_at}` : `by ${a.decided_by}${a.decision_reason ? `: ${a.decision_reason}` : ''}`;
  return [a.id, a.status, a.agent, a.tool, a.created_at, decided].join('\t');
}

export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('list and decide calls held for approval (action: approve tools in enforce mode)');
  common(approvals.command('list').description('approvals, pending first by default').option('--status <status>', 'pending | approved | denied | expired', 'pending'))
    .action(async (flags: ApprovalsFlags & { status: string }) => {
      const { approvals: rows } = await client(flags).get<{ approvals: ApprovalJson[] }>('/api/v1/approvals', { status: flags.status });
      if (flags.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else process.stdout.write(rows.length ? ['id\tstatus\tagent\ttool\tcreated\tdecision', ...rows.map(line)].join('\n') + '\n' : `no ${flags.status} approvals\n`);
    });
  for (const decision of ['approve', 'deny'] as const) {
    common(approvals.command(`${decision} <id>`).description(`${decision} a pending approval`).option('--reason <text>', 'why (kept with the decision)', ''))
      .action(async (id: string, flags: ApprovalsFlags & { reason: string }) => {
        const result = await client(flags).post<ApprovalJson>(`/api/v1/approvals/${encodeURIComponent(id)}/decision`, { decision, reason: flags.reason });
        process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : `${line(result)}\n`);
      });
  }
}
