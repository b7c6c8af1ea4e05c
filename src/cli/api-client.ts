/**
 * The CLI's client for a running `warden serve`. Commands probe it first (GET /readyz) and
 * fall back to opening the store only when nothing answers, because an embedded store can be
 * opened by one process at a time.
 */
import { readEnv, resolveSecret } from '../config/index.js';
import { ErrorCodes, WardenError, errorMessage, type ErrorCode } from '../core/index.js';

export const PROBE_TIMEOUT_MS = 1_500;
export const REQUEST_TIMEOUT_MS = 120_000;

/** The bearer token a CLI command sends serve: `--token-file FILE`, else env WARDEN_API_TOKEN (never argv). */
export function cliApiToken(tokenFile: string | undefined): string | undefined {
  return resolveSecret({ file: tokenFile, env: readEnv().WARDEN_API_TOKEN, flag: '--token', fileFlag: '--token-file' });
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /**
   * True when a Warden serve answers /readyz at the URL with 200, or is there with only its
   * ingest held up (a store refusing writes, a WAL replay): its queries still work, and it
   * holds an embedded store's lock either way.
   */
  async probe(): Promise<boolean> {
    try {
      const res = await fetch(new URL('/readyz', this.baseUrl), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: this.headers() });
      const text = await res.text();
      return res.status === 200 || (res.status === 503 && text.includes(ErrorCodes.INGEST_NOT_READY));
    } catch (e) {
      // Something accepted the connection and is slow to answer: a busy serve (it holds the
      // embedded store, so opening the store here would fail anyway). Only "nothing there"
      // (refused, unreachable) falls back to the store.
      return (e as Error).name === 'TimeoutError';
    }
  }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return this.request<T>(url, { method: 'GET' });
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(new URL(path, this.baseUrl), {
      method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
    });
  }

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async request<T>(url: URL, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers: { ...init.headers, ...this.headers() }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (cause) {
      throw new WardenError(ErrorCodes.UPSTREAM, `cannot reach warden serve at ${this.baseUrl}: ${errorMessage(cause)}`, { cause });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = (Object.values(ErrorCodes) as string[]).includes(error?.code ?? '') ? (error?.code as ErrorCode) : ErrorCodes.UPSTREAM;
      throw new WardenError(code, error?.message ?? `warden serve answered ${res.status}`, {
        ...(res.status === 401 ? { hint: 'set WARDEN_API_TOKEN, or pass --token-file FILE, with the token `warden serve` was started with' } : {}),
      });
    }
    return body as T;
  }
}
