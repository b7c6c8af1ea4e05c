import { ErrorCodes, WardenError } from '../../core/index.js';
import type { ApiClient } from '../api-client.js';

/** Polls the agents endpoint until `expected` calls are stored (spans arrive in batches). */
export async function waitForCalls(api: ApiClient, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let stored = 0;
  while (Date.now() < deadline) {
    const { agents } = await api.get<{ agents: Array<{ calls: number }> }>('/api/v1/agents', { from: '-8d' });
    stored = agents.reduce((n, a) => n + a.calls, 0);
    if (stored >= expected) return stored;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new WardenError(ErrorCodes.TIMEOUT, `only ${stored} of ${expected} tool calls reached the store within ${timeoutMs / 1000}s`);
}
