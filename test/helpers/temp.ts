// Temporary directories that cannot outlive their test file: each is removed when the file's
// process exits, whether its tests passed, failed or threw (not after SIGKILL).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

function removeAll(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory `<parent>/warden-<name>-XXXXXX` (parent: the OS temp dir), removed at exit. */
export function tempDir(name: string, parent = tmpdir()): string {
  if (created.length === 0) process.once('exit', removeAll);
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `warden-${name}-`));
  created.push(dir);
  return dir;
}
