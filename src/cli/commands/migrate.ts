import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerMigrateCommand(program: Command): void {
  program.command('migrate').description('(not built yet)').action(() => {
    process.stderr.write('warden: migrate is not built yet\n');
    process.exitCode = 1;
  });
}
