/**
 * Masks values that look secret before arguments leave the process (`--record-args redacted`).
 * Keys decide first (a `password` field is masked whatever it holds); then string shapes:
 * bearer tokens, JWTs, well-known API key prefixes, long hex/base64 blobs, and e-mail addresses
 * inside any text.
 */
import { RE2JS } from 're2js';

export const REDACTED = '[REDACTED]';
export const REDACTED_EMAIL = '[EMAIL]';

const SECRET_KEY = /pass(word|wd|phrase)?$|^pwd$|secret|token|api_?key|apikey|access_?key|private_?key|authorization|^auth$|credential|cookie|session_?key|signature/;
const BEARER = /^(bearer|basic|token)\s+\S{8,}$/i;
const JWT = /^eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*$/;
const KNOWN_PREFIX = /^(sk|pk|rk)[-_][\w-]{12,}$|^gh[pousr]_\w{20,}$|^xox[abposr]-[\w-]{10,}$|^AKIA[0-9A-Z]{16}$|^AIza[\w-]{30,}$|^glpat-[\w-]{20,}$/;
const LONG_HEX = /^[0-9a-f]{32,}$/i;
const LONG_BASE64 = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;
// Found anywhere in free text, so it runs on RE2 (linear time): with a backtracking engine this
// pattern is quadratic on a long run of name characters without an '@' (40 KB took 1.3 s).
// The other patterns are anchored with disjoint classes and stay linear in V8.
const EMAIL = RE2JS.compile('[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}');

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/-/g, '_'));
}

/** Whether a whole string value looks like a credential. */
export function looksSecret(value: string): boolean {
  const trimmed = value.trim();
  if (BEARER.test(trimmed) || JWT.test(trimmed) || KNOWN_PREFIX.test(trimmed) || LONG_HEX.test(trimmed)) return true;
  // A long unbroken token with both letters and digits; plain words and paths do not qualify.
  return LONG_BASE64.test(trimmed) && /\d/.test(trimmed) && /[A-Za-z]/.test(trimmed);
}

export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return looksSecret(value) ? REDACTED : value.includes('@') ? EMAIL.matcher(value).replaceAll(REDACTED_EMAIL) : value;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretKey(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : redactSecrets(inner);
    }
    return out;
  }
  return value;
}
