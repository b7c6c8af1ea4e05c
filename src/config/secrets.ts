import { readFileSync } from 'node:fs';
import { ErrorCodes, WardenError } from '../core/index.js';

/**
 * Secrets (API tokens, bearer tokens, passwords, keys) can come from a file or the environment,
 * so they need never sit in argv, where `ps` and shell history show them. The file holds the
 * secret alone; surrounding whitespace (the trailing newline of `echo`) is not part of it.
 */
export function readSecretFile(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `${flag} ${file}: cannot read: ${(e as Error).message}`);
  }
  const secret = text.trim();
  if (secret === '') throw new WardenError(ErrorCodes.CONFIG_INVALID, `${flag} ${file}: the file is empty`);
  return secret;
}

export interface SecretSources {
  /** The secret given on the command line (kept for compatibility; a file or the environment is better). */
  value?: string | undefined;
  /** `--…-file`: a file holding it. */
  file?: string | undefined;
  /** The environment variable's value. */
  env?: string | undefined;
  /** Names for messages: the value flag and the file flag. */
  flag: string;
  fileFlag: string;
}

/** The flag, else its file, else the environment; giving both the flag and the file is refused. */
export function resolveSecret(s: SecretSources): string | undefined {
  if (s.value !== undefined && s.file !== undefined) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `give ${s.flag} or ${s.fileFlag}, not both`);
  }
  if (s.value !== undefined) return s.value;
  if (s.file !== undefined) return readSecretFile(s.file, s.fileFlag);
  return s.env;
}
