import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Artifacts } from './generate.js';

export interface ArtifactDifference {
  file: string;
  problem: 'missing' | 'differs';
}

/** Writes each artifact under `outDir`, creating directories; returns the paths written. */
export function writeArtifacts(outDir: string, artifacts: Artifacts): string[] {
  const written: string[] = [];
  for (const [file, content] of artifacts) {
    const path = join(outDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  }
  return written;
}

/** Compares the artifacts with what is on disk under `outDir` (what CI checks). */
export function diffArtifacts(outDir: string, artifacts: Artifacts): ArtifactDifference[] {
  const differences: ArtifactDifference[] = [];
  for (const [file, content] of artifacts) {
    const path = join(outDir, file);
    if (!existsSync(path)) differences.push({ file, problem: 'missing' });
    else if (readFileSync(path, 'utf8') !== content) differences.push({ file, problem: 'differs' });
  }
  return differences;
}
