import { PassThrough } from 'node:stream';
import { silentLogger, systemClock } from '../core/index.js';
import { NetworkTransport, type DecisionRecorder } from '../telemetry/index.js';
import { LineSplitter } from './ndjson.js';
import type { PolicyState } from './policy-state.js';
import { McpRelay } from './relay.js';
import { MAX_LINE_BYTES, NdjsonStreamTransport } from './stdio-transport.js';

export interface WarmUpOptions {
  /** A PolicyState of its own (same policy, other counters): synthetic calls must not count against real limits. */
  policy: PolicyState;
  /** A recorder whose spans are encoded and dropped, never exported. */
  recorder: DecisionRecorder;
  /** At most this many calls… */
  calls: number;
  /** …and none once this is true (the real session's first tools/call has arrived). */
  stop?: () => boolean;
}

/**
 * Runs `calls` synthetic tools/call round trips through a throwaway relay over in-memory
 * pipes, the same code a real call takes: line split and parse, key scan, decide, serialize,
 * the echoed reply, span record and encode. A fresh V8 runs that code in its interpreter and
 * compiles it on background threads while the first real calls wait (BENCHMARKS.md, proxy:
 * a fresh proxy's first calls); doing it once the session's initialize is answered, while
 * the agent reads the tool list and its model decides what to call, moves that cost off the
 * agent's first calls without delaying the handshake. Each round trip yields to the event
 * loop, so the session's own messages are never held up behind it, and it stops at the
 * session's first tools/call. Tool names cycle through the policy's own, so
 * its rules and limits take the paths real calls will.
 */
export async function warmUpRelay(opts: WarmUpOptions): Promise<void> {
  const [agentIn, agentOut, upstreamIn, upstreamOut] = [new PassThrough(), new PassThrough(), new PassThrough(), new PassThrough()];
  const relay = new McpRelay({
    agent: new NdjsonStreamTransport(agentIn, agentOut),
    upstream: new NdjsonStreamTransport(upstreamOut, upstreamIn),
    policy: opts.policy, recorder: opts.recorder, clock: systemClock, logger: silentLogger, timeoutMs: 60_000,
    agentId: 'warden-warm-up', allowClientInfoName: false, upstreamLabel: 'warm-up', networkTransport: NetworkTransport.PIPE,
    sessionId: 'warm-up', answerMalformed: { agent: true, upstream: true }, relateServerMessages: false,
  });
  echoResults(upstreamIn, upstreamOut);
  const replies = new LineSplitter(MAX_LINE_BYTES);
  let answered: (() => void) | undefined;
  agentOut.on('data', (chunk: Buffer) => replies.push(chunk, () => answered?.()));
  await relay.start();
  const tools = [...Object.keys(opts.policy.engine.policy.source.tools ?? {}), 'warden_warm_up'];
  for (let i = 0; i < opts.calls && !opts.stop?.(); i++) {
    const reply = new Promise<void>((resolve) => (answered = resolve));
    const tool = tools[i % tools.length] as string;
    agentIn.write(`{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{"query":"warm-up ${i}","limit":${i % 50}}}}\n`);
    await reply;
  }
  await relay.close();
}

/** The upstream end: answers every request with a small text result, as a tool would. */
function echoResults(requests: PassThrough, results: PassThrough): void {
  const lines = new LineSplitter(MAX_LINE_BYTES);
  requests.on('data', (chunk: Buffer) =>
    lines.push(chunk, (line) => {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (id !== undefined) results.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"ok"}]}}\n`);
    }),
  );
}
