import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_BROWSER_API_URL, DEFAULT_DATABASE } from '../../config/index.js';
import { EXIT } from '../exit-codes.js';

interface DashboardsFlags {
  out: string;
  check?: boolean;
  database: string;
  alerts?: string;
  wardenApiUrl: string;
}

/** `warden dashboards`: writes the Grafana dashboards and provisioning, or checks them (CI). */
export function registerDashboardsCommand(program: Command): void {
  program
    .command('dashboards')
    .description('write Grafana dashboards (overview, agent, rollout), the ClickHouse datasource, dashboard provider and alert rules')
    .option('--out <dir>', 'output directory', 'dashboards')
    .option('--check', 'write nothing; exit 1 if the files in --out differ from what would be generated')
    .option('--database <db>', 'ClickHouse database the panels query', DEFAULT_DATABASE)
    .option('--alerts <file>', 'alerts file whose metric rules become Grafana alert rules (default: Warden\'s default rules)')
    .option('--warden-api-url <url>', 'default base URL of warden serve for the dashboards\' API links', DEFAULT_BROWSER_API_URL)
    .action(async (flags: DashboardsFlags) => {
      // Loaded on use: the Grafana foundation SDK is only needed here.
      const { DEFAULT_ALERT_RULES, loadAlertsFile } = await import('../../alerts/index.js');
      const { diffArtifacts, generateArtifacts, writeArtifacts } = await import('../../dashboards/index.js');
      const rules = flags.alerts ? loadAlertsFile(flags.alerts).rules : DEFAULT_ALERT_RULES;
      const artifacts = generateArtifacts({ database: flags.database, alertRules: rules, wardenApiUrl: flags.wardenApiUrl });
      const outDir = resolve(flags.out);
      if (flags.check) {
        const differences = diffArtifacts(outDir, artifacts);
        if (differences.length === 0) {
          process.stdout.write(`${artifacts.size} files in ${flags.out} are up to date\n`);
          return;
        }
        for (const d of differences) process.stderr.write(`${flags.out}/${d.file}: ${d.problem === 'missing' ? 'missing' : 'differs from the generated file'}\n`);
        process.stderr.write(`warden: ${differences.length} generated dashboard file(s) are out of date\nhint: run \`npm run dashboards\` and commit the result\n`);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      for (const path of writeArtifacts(outDir, artifacts)) process.stdout.write(`wrote ${path}\n`);
    });
}
