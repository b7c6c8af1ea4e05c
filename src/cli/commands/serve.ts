import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerServeCommand(program: Command): void {
  program.command('serve').description('(not built yet)').action(() => {
    process.stderr.write('warden: serve is not built yet\n');
    process.exitCode = 1;
  });
}
