/**
 * Target URLs and headers often are the secret (a Slack incoming-webhook URL is a bearer
 * credential in its path). Nothing about a target leaves the process unredacted: logs, the
 * API and stored delivery errors see `redactUrl(url)` and header names only, and any text
 * that might echo a URL or a header value goes through `scrub`.
 */
import type { AlertTarget } from './types.js';

export const MASK = '***';

/** A path segment that could be a token: long, or mixing letters and digits beyond a short id. */
function secretSegment(segment: string): boolean {
  if (segment.length >= 20) return true;
  return segment.length >= 8 && /\d/.test(segment) && /[A-Za-z]/.test(segment);
}

/** scheme://host[:port]/path with credentials, secret-looking path segments and query values masked. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK;
  }
  const auth = u.username || u.password ? `${MASK}@` : '';
  const path = u.pathname.split('/').map((s) => (secretSegment(decodeURIComponent(s)) ? MASK : s)).join('/');
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
  return `${u.protocol}//${auth}${u.host}${path === '/' ? '' : path}${query ? `?${query}` : ''}`;
}

/** Every substring of a target that must never be shown: the URL's secret parts and header values. */
export function secretsOf(target: AlertTarget): string[] {
  const out = new Set<string>([target.url]);
  try {
    const u = new URL(target.url);
    if (u.username) out.add(u.username);
    if (u.password) out.add(u.password);
    for (const s of u.pathname.split('/')) if (secretSegment(decodeURIComponent(s))) out.add(s);
    for (const v of u.searchParams.values()) if (v.length >= 4) out.add(v);
    if (u.search.length > 1) out.add(u.search.slice(1));
  } catch {
    // an unparsable URL is masked whole
  }
  for (const v of Object.values(target.headers)) {
    out.add(v);
    for (const part of v.split(/\s+/)) if (part.length >= 8) out.add(part);
  }
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces every secret occurrence in `text` (longest first, so a URL masks before its parts). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** How a target is shown to people: type, name, redacted URL and header names only. */
export interface PublicTarget {
  name: string;
  type: AlertTarget['type'];
  url: string;
  headers: string[];
}

export function publicTarget(target: AlertTarget): PublicTarget {
  return { name: target.name, type: target.type, url: redactUrl(target.url), headers: Object.keys(target.headers).sort() };
}
