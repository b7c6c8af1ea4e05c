import { join } from 'node:path';
import type { Command } from 'commander';
import { DEAD_LETTER_SUBDIR, readEnv, resolveStoreConfig, walDirectory, type StoreFlags } from '../../config/index.js';
import { EXIT } from '../exit-codes.js';
import { addStoreOptions, openStore } from '../store.js';

interface ReplayFlags extends StoreFlags {
  wal?: string;
}

export function registerIngestCommands(program: Command): void {
  const ingest = program.command('ingest').description('the record\'s ingest side: dead-lettered rows');
  const replay = ingest
    .command('replay [dir]')
    .description('write rows the store refused as bad data (the dead-letter directory) into the store again, once the cause is fixed')
    .option('--wal <dir>', 'the write-ahead log directory `warden serve` used (its dead-letter/ is replayed when DIR is not given)');
  addStoreOptions(replay).action(async (dir: string | undefined, flags: ReplayFlags) => {
    const store = resolveStoreConfig(flags, readEnv());
    const from = dir ?? join(walDirectory(flags.wal, store), DEAD_LETTER_SUBDIR);
    const { INSERT_SETTINGS, replayDeadLetters } = await import('../../ingest/index.js');
    const { migrate, Tables } = await import('../../storage/index.js');
    const driver = await openStore(store);
    try {
      await migrate(driver);
      const result = await replayDeadLetters(from, (text) => driver.insertJsonEachRow(Tables.OTEL_TRACES, text, { settings: INSERT_SETTINGS }));
      process.stdout.write(`replayed ${result.files} dead-letter file(s) from ${from}: ${result.landed} row(s) written, ${result.refusedAgain} refused again\n`);
      if (result.refusedAgain > 0) process.stderr.write(`warden: ${result.refusedAgain} row(s) are still refused; they are back in ${from} with the store's reason\n`);
      if (result.storeFault) process.stderr.write(`warden: the store stopped taking writes (${result.storeFault}); run the command again later\n`);
      if (result.refusedAgain > 0 || result.storeFault) process.exitCode = EXIT.FAILURE;
    } finally {
      await driver.close();
    }
  });
}
