import type { Command } from 'commander';

// Placeholder until this command lands; replaced by its owner.
export function registerProxyCommand(program: Command): void {
  program.command('proxy').description('(not built yet)').action(() => {
    process.stderr.write('warden: proxy is not built yet\n');
    process.exitCode = 1;
  });
}
