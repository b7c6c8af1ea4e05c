import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCodes, WardenError, sha256Hex } from '../core/index.js';

/**
 * Bearer tokens → agent ids for `--listen`. The file holds only sha256 digests of the tokens:
 * `{"agents": {"nightly-batch": {"token_sha256": "9f86d0…"}}}`.
 */
const TokensFileSchema = z.object({
  agents: z.record(z.string().min(1), z.object({ token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (sha256)') })),
});

export class TokenDirectory {
  private constructor(private readonly byDigest: ReadonlyMap<string, string>) {}

  static empty(): TokenDirectory {
    return new TokenDirectory(new Map());
  }

  static fromJson(text: string, source = 'tokens file'): TokenDirectory {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new WardenError(ErrorCodes.CONFIG_INVALID, `${source} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = TokensFileSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new WardenError(ErrorCodes.CONFIG_INVALID, `${source} is invalid: ${problems}`, { hint: '{"agents": {"AGENT_ID": {"token_sha256": "<sha256 hex of the token>"}}}' });
    }
    const byDigest = new Map<string, string>();
    for (const [agent, entry] of Object.entries(parsed.data.agents)) byDigest.set(entry.token_sha256.toLowerCase(), agent);
    return new TokenDirectory(byDigest);
  }

  static async load(file: string): Promise<TokenDirectory> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new WardenError(ErrorCodes.CONFIG_INVALID, `cannot read tokens file ${file}: ${(error as Error).message}`);
    }
    return TokenDirectory.fromJson(text, file);
  }

  /** The agent a bearer token belongs to, if any. */
  agentFor(token: string): string | undefined {
    return this.byDigest.get(sha256Hex(token));
  }
}

/** The token of an `Authorization: Bearer …` header, if that is what it holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
