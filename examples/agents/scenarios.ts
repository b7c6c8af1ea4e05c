import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/**
 * Scripted agents that use a Total-Recall-like memory server the way real agents do:
 * one session per conversation, reads before writes, and one agent that runs away.
 * Each returns how many tool calls it made; tool errors are part of real traffic and
 * are not thrown.
 */
export type AgentRole = 'researcher' | 'writer' | 'nightly-batch' | 'runaway';

export interface ScenarioOptions {
  /** Conversations to hold (researcher, writer) or batch size (nightly-batch). */
  conversations?: number;
  /** runaway: how many session_close calls in its loop. */
  loopCalls?: number;
  /** Pause between calls, ms (0 = as fast as the proxy answers). */
  pauseMs?: number;
}

interface CallResult {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<unknown> {
  const result = (await client.callTool({ name, arguments: args })) as CallResult;
  const text = result.content?.find((c) => c.type === 'text')?.text ?? '';
  if (result.isError) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function startSession(client: Client, project: string): Promise<string | undefined> {
  const started = (await call(client, 'session_start', { project })) as { session_id?: string } | undefined;
  return started?.session_id;
}

async function firstEntryId(client: Client, message: string): Promise<string | undefined> {
  const loaded = (await call(client, 'load_context', { message, project: 'warden' })) as { entries?: Array<{ id: string }> } | undefined;
  return loaded?.entries?.[0]?.id;
}

/** Mostly reads: a handful of context loads and a task listing per conversation. */
export async function researcher(client: Client, opts: ScenarioOptions = {}): Promise<number> {
  let calls = 0;
  for (let c = 0; c < (opts.conversations ?? 3); c++) {
    const session = await startSession(client, 'warden');
    calls++;
    for (const q of ['how is the build run', 'style rules for files', 'which time zone in reports']) {
      await call(client, 'load_context', { message: q, project: 'warden', budget: 5 });
      calls++;
      await sleep(opts.pauseMs ?? 0);
    }
    await call(client, 'task_list', { project: 'warden' });
    await call(client, 'session_close', { session_id: session, summary: 'research done' });
    calls += 2;
  }
  return calls;
}

/** One session_start / session_close per conversation, with a correction in between. */
export async function writer(client: Client, opts: ScenarioOptions = {}): Promise<number> {
  let calls = 0;
  for (let c = 0; c < (opts.conversations ?? 3); c++) {
    const session = await startSession(client, 'warden');
    const entry = await firstEntryId(client, 'build test node');
    calls += 2;
    if (entry) {
      await call(client, 'correct', { entry_id: entry, correction: `The build runs with npm test (revision ${c + 1}).` });
      calls++;
    }
    await sleep(opts.pauseMs ?? 0);
    await call(client, 'session_close', { session_id: session, summary: `wrote correction ${c + 1}` });
    calls++;
  }
  return calls;
}

/** Legitimately high volume: a long session of chained corrections, as the nightly job does. */
export async function nightlyBatch(client: Client, opts: ScenarioOptions = {}): Promise<number> {
  let calls = 2;
  const session = await startSession(client, 'warden');
  let entry = await firstEntryId(client, 'build test node');
  for (let i = 0; i < (opts.conversations ?? 20) && entry; i++) {
    const corrected = (await call(client, 'correct', { entry_id: entry, correction: `Batch-normalised fact ${i}.` })) as { id?: string } | undefined;
    calls++;
    entry = corrected?.id;
    await sleep(opts.pauseMs ?? 0);
  }
  await call(client, 'session_close', { session_id: session, summary: 'nightly batch' });
  return calls + 1;
}

/** The runaway: closes the same session over and over, hundreds of times a minute. */
export async function runaway(client: Client, opts: ScenarioOptions = {}): Promise<number> {
  const session = (await startSession(client, 'warden')) ?? 'unknown-session';
  const loops = opts.loopCalls ?? 300;
  for (let i = 0; i < loops; i++) {
    await call(client, 'session_close', { session_id: session, reason: 'retry close' });
    await sleep(opts.pauseMs ?? 0);
  }
  return loops + 1;
}

export const SCENARIOS: Record<AgentRole, (client: Client, opts?: ScenarioOptions) => Promise<number>> = {
  researcher,
  writer,
  'nightly-batch': nightlyBatch,
  runaway,
};
