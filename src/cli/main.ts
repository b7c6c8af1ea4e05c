import { Command, CommanderError } from 'commander';
import { errorMessage, isWardenError } from '../core/index.js';
import { registerCommands } from './commands/index.js';
import { EXIT } from './exit-codes.js';

/** Builds the `warden` program; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Policy shim and audit analytics for AI agents\' MCP tool calls')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI and returns the process exit code (see exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (isWardenError(err)) {
      process.stderr.write(`warden: ${err.message}\n`);
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      return EXIT.FAILURE;
    }
    process.stderr.write(`warden: unexpected error: ${errorMessage(err)}\n`);
    if (err instanceof Error && err.stack && process.env.WARDEN_DEBUG) process.stderr.write(err.stack + '\n');
    return EXIT.INTERNAL;
  }
}
