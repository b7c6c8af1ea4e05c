import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerDemoCommand(program: Command): void {
  program.command('demo').description('(not built yet)').action(() => {
    process.stderr.write('warden: demo is not built yet\n');
    process.exitCode = 1;
  });
}
