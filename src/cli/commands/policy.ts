import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerPolicyCommands(program: Command): void {
  program.command('policy').description('(not built yet)').action(() => {
    process.stderr.write('warden: policy is not built yet\n');
    process.exitCode = 1;
  });
}
