import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCodes, WardenError } from '../core/index.js';

/**
 * A file of names → sha256 digests of bearer tokens, so it holds no secret:
 * `{"agents": {"nightly-batch": {"token_sha256": "9f86d0…"}}}` for the proxy's `--tokens`,
 * `{"operators": {"alice": {"token_sha256": "…"}}}` for serve's `--operators`.
 */
export type TokensFileKind = 'agents' | 'operators';

const entrySchema = z.object({ token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (sha256)') });

/** Digest (lowercase hex) → name. Throws CONFIG_INVALID naming the file and the field. */
export function parseTokensFile(text: string, kind: TokensFileKind, source: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `${source} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = z.object({ [kind]: z.record(z.string().min(1), entrySchema) }).safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `${source} is invalid: ${problems}`, { hint: `{"${kind}": {"NAME": {"token_sha256": "<sha256 hex of the token>"}}}` });
  }
  const byDigest = new Map<string, string>();
  for (const [name, entry] of Object.entries(parsed.data[kind] as Record<string, z.infer<typeof entrySchema>>)) byDigest.set(entry.token_sha256.toLowerCase(), name);
  return byDigest;
}

export function loadTokensFile(file: string, kind: TokensFileKind): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError(ErrorCodes.CONFIG_INVALID, `cannot read ${kind === 'agents' ? 'tokens' : 'operators'} file ${file}: ${(error as Error).message}`);
  }
  return parseTokensFile(text, kind, file);
}
