import { ErrorCodes, WardenError } from '../../core/index.js';

/** GET (or POST `body`) a JSON document from the demo's serve; a non-2xx answer is an error with its body. */
export async function fetchJson(baseUrl: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, baseUrl), body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new WardenError(ErrorCodes.INTERNAL, `${body === undefined ? 'GET' : 'POST'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Polls the agents endpoint until `expected` calls are stored (spans arrive in batches). */
export async function waitForCalls(baseUrl: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let stored = 0;
  while (Date.now() < deadline) {
    const { agents } = (await fetchJson(baseUrl, '/api/v1/agents?from=-8d')) as { agents: Array<{ calls: number }> };
    stored = agents.reduce((n, a) => n + a.calls, 0);
    if (stored >= expected) return stored;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new WardenError(ErrorCodes.TIMEOUT, `only ${stored} of ${expected} tool calls reached the store within ${timeoutMs / 1000}s`);
}
