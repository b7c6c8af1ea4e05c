import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeStoreFailure } from '../storage/index.js';
import { insertSalvaging } from './salvage.js';

/**
 * Rows the store refused for what they hold (a parse error, a violated constraint), kept so
 * nothing acknowledged is lost: one NDJSON file of JSONEachRow rows per refusal, with the
 * store's reason beside it. `warden ingest replay DIR` writes them again once the cause is
 * fixed. Files are written whole and fsynced before the rows count as handled.
 */
export const DEAD_LETTER_SUFFIX = '.ndjson';
const REASON_SUFFIX = '.reason.txt';

export class DeadLetterDir {
  private counter = 0;

  constructor(readonly dir: string) {}

  /** Stores rows (JSONEachRow lines) with the store's reason; resolves once they are on disk. */
  async write(lines: readonly string[], reason: string): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = join(this.dir, `${stamp}-${process.pid}-${++this.counter}`);
    await writeSynced(base + REASON_SUFFIX, reason + '\n');
    await writeSynced(base + DEAD_LETTER_SUFFIX, lines.join('\n') + '\n');
    return base + DEAD_LETTER_SUFFIX;
  }
}

/** The dead-letter files in `dir`, oldest first. */
export async function listDeadLetters(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.endsWith(DEAD_LETTER_SUFFIX)).sort().map((n) => join(dir, n));
}

/** A dead-letter file's rows (one JSON object per line). */
export async function readDeadLetter(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0);
}

/** Removes a replayed dead-letter file and its reason. */
export async function removeDeadLetter(file: string): Promise<void> {
  await unlink(file);
  await unlink(file.slice(0, -DEAD_LETTER_SUFFIX.length) + REASON_SUFFIX).catch(() => undefined);
}

async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface DeadLetterReplay {
  files: number;
  /** Rows now in the store. */
  landed: number;
  /** Rows refused again (in a new dead-letter file, with the reason). */
  refusedAgain: number;
  /** Set when the store stopped taking writes: the file it was on and later ones are kept. */
  storeFault: string | undefined;
}

/**
 * Writes every dead-letter file in `dir` into the store again (after the operator fixed
 * the cause), oldest first; a file is deleted once its rows are in the store or, refused
 * again, in a new dead-letter file.
 */
export async function replayDeadLetters(dir: string, insert: (text: string) => Promise<void>): Promise<DeadLetterReplay> {
  const result: DeadLetterReplay = { files: 0, landed: 0, refusedAgain: 0, storeFault: undefined };
  const deadLetters = new DeadLetterDir(dir);
  for (const file of await listDeadLetters(dir)) {
    const outcome = await insertSalvaging(await readDeadLetter(file), insert, async (lines, reason) => {
      await deadLetters.write(lines, reason);
    });
    result.landed += outcome.landed;
    result.refusedAgain += outcome.deadLettered;
    if (outcome.pending) {
      // Rows that landed before the fault are written again next time: tool_calls FINAL de-duplicates them.
      result.storeFault = describeStoreFailure(outcome.pending.error);
      break;
    }
    await removeDeadLetter(file);
    result.files += 1;
  }
  return result;
}
