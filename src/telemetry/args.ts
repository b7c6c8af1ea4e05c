import type { RecordArgsMode } from '../config/index.js';
import { canonicalJson, sha256Hex } from '../core/index.js';
import { Attr } from './semconv.js';
import { redactSecrets } from './redact.js';

export type ArgsAttributes = Partial<Record<typeof Attr.ARGS_HASH | typeof Attr.ARGS | typeof Attr.ARGS_BYTES, string | number>>;

/**
 * What a span says about a call's arguments. `hash` (default): sha256 of the canonical
 * (key-sorted) JSON plus its size, so repeats are visible without the content; `redacted`
 * adds the arguments with secret-looking values masked; `full` adds them as they came;
 * `none` keeps only the size.
 */
export function argsAttributes(mode: RecordArgsMode, args: unknown, attrs: ArgsAttributes = {}): ArgsAttributes {
  const canonical = canonicalJson(args ?? {});
  attrs[Attr.ARGS_BYTES] = Buffer.byteLength(canonical);
  if (mode === 'none') return attrs;
  attrs[Attr.ARGS_HASH] = sha256Hex(canonical);
  if (mode === 'redacted') attrs[Attr.ARGS] = canonicalJson(redactSecrets(args ?? {}));
  if (mode === 'full') attrs[Attr.ARGS] = canonical;
  return attrs;
}
