import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerAnalyticsCommands(program: Command): void {
  program.command('suggest').description('(not built yet)').action(() => {
    process.stderr.write('warden: suggest is not built yet\n');
    process.exitCode = 1;
  });
}
