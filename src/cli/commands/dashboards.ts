import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerDashboardsCommand(program: Command): void {
  program.command('dashboards').description('(not built yet)').action(() => {
    process.stderr.write('warden: dashboards is not built yet\n');
    process.exitCode = 1;
  });
}
