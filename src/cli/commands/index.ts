import type { Command } from 'commander';
import { registerPolicyCommands } from './policy.js';
import { registerProxyCommand } from './proxy.js';
import { registerServeCommand } from './serve.js';
import { registerMigrateCommand } from './migrate.js';
import { registerAnalyticsCommands } from './analytics.js';
import { registerDashboardsCommand } from './dashboards.js';
import { registerDemoCommand } from './demo.js';
import { registerApprovalsCommand } from './approvals.js';
import { registerIngestCommands } from './ingest.js';

/** One registration function per command file; the order here is the order in --help. */
export function registerCommands(program: Command): void {
  registerProxyCommand(program);
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerIngestCommands(program);
  registerPolicyCommands(program);
  registerAnalyticsCommands(program);
  registerDashboardsCommand(program);
  registerApprovalsCommand(program);
  registerDemoCommand(program);
}
