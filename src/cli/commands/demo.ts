import type { Command } from 'commander';
import { createLogger } from '../../core/index.js';
import { createProgress } from '../progress.js';

interface DemoFlags {
  keep?: boolean;
  json?: boolean;
  store?: string;
  policyOut: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole system on an embedded store with real MCP traffic (what `npm start` does)')
    .option('--keep', 'leave warden serve running on the demo store until Ctrl-C', false)
    .option('--json', 'print the report as JSON', false)
    .option('--store <dir>', 'keep the demo store in this directory (default: a temporary one, removed at the end)')
    .option('--policy-out <file>', 'where to write the suggested policy', '.warden/demo/policy.suggested.json')
    .action(async (flags: DemoFlags) => {
      // Loaded on use: the demo pulls in serve, chDB and the MCP SDK.
      const { runDemo, formatReport } = await import('../demo/index.js');
      const progress = createProgress();
      if (process.stderr.isTTY) process.stderr.write('Warden demo: audit mode, 7 days of history, four agents, one of them running away\n');
      const demo = await runDemo({
        keep: flags.keep === true,
        policyOut: flags.policyOut,
        progress,
        logger: createLogger({ level: 'warn' }),
        ...(flags.store ? { storeDir: flags.store } : {}),
      });
      process.stdout.write(flags.json ? JSON.stringify(demo.report, null, 2) + '\n' : '\n' + formatReport(demo.report, flags.keep === true));
      if (flags.keep) {
        process.stderr.write(`warden serve keeps running at ${demo.serve.url}; press Ctrl-C to stop\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      }
      await demo.close();
    });
}
