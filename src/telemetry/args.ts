import { createHmac } from 'node:crypto';
import type { RecordArgsMode } from '../config/index.js';
import { canonicalJson, sha256Hex } from '../core/index.js';
import { Attr } from './semconv.js';
import { redactSecrets } from './redact.js';

export type ArgsAttributes = Partial<Record<typeof Attr.ARGS_HASH | typeof Attr.ARGS | typeof Attr.ARGS_BYTES | typeof Attr.ARGS_HASH_ALG, string | number>>;

/** `warden.args.hash_alg` of a keyed hash; a plain sha256 carries no such attribute. */
export const KEYED_ARGS_HASH_ALG = 'hmac-sha256';

/**
 * What a span says about a call's arguments. `hash` (default): sha256 of the canonical
 * (key-sorted) JSON plus its size, so repeats are visible without the content; `redacted`
 * adds the arguments with secret-looking values masked; `full` adds them as they came;
 * `none` keeps only the size. With `hashKey` the hash is an HMAC-SHA256 under that key: repeats
 * stay visible, but nobody without the key can confirm a guessed value against a stored hash.
 */
export function argsAttributes(mode: RecordArgsMode, args: unknown, attrs: ArgsAttributes = {}, hashKey?: Uint8Array): ArgsAttributes {
  const canonical = canonicalJson(args ?? {});
  attrs[Attr.ARGS_BYTES] = Buffer.byteLength(canonical);
  if (mode === 'none') return attrs;
  if (hashKey) {
    attrs[Attr.ARGS_HASH] = createHmac('sha256', hashKey).update(canonical).digest('hex');
    attrs[Attr.ARGS_HASH_ALG] = KEYED_ARGS_HASH_ALG;
  } else {
    attrs[Attr.ARGS_HASH] = sha256Hex(canonical);
  }
  if (mode === 'redacted') attrs[Attr.ARGS] = canonicalJson(redactSecrets(args ?? {}));
  if (mode === 'full') attrs[Attr.ARGS] = canonical;
  return attrs;
}
