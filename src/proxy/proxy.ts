import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCodes, WardenError, type Clock, type Logger } from '../core/index.js';
import { NetworkTransport, type DecisionRecorder } from '../telemetry/index.js';
import type { HttpFront, SessionLimits } from './http-front.js';
import type { TokenDirectory } from './identity.js';
import type { PolicyState } from './policy-state.js';
import type { RelayApprovals } from './approval-relay.js';
import { McpRelay } from './relay.js';
import { NdjsonStreamTransport } from './stdio-transport.js';
import type { UpstreamFactory } from './upstream.js';

export interface ProxyDeps {
  policy: PolicyState;
  recorder: DecisionRecorder;
  upstream: UpstreamFactory;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  /** `--agent` / WARDEN_AGENT_ID. */
  agentId: string | undefined;
  /** Holds for `action: approve` tools in enforce mode; without it such calls are refused. */
  approvals?: RelayApprovals | undefined;
  /**
   * Runs beside a new stdio session once its initialize is answered (warmUpRelay): while the
   * agent reads the tool list and decides what to call. It stops as soon as `stop()` is true
   * (the session's first tools/call).
   */
  warmUp?: ((stop: () => boolean) => Promise<void>) | undefined;
}

export interface RunningProxy {
  /** Settles when the agent side is gone (stdin closed) or close() was called. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/**
 * Agent on this process's stdio, upstream spawned (or over HTTP). Over stdio the launcher
 * is the agent's own MCP client config, so `clientInfo.name` stands in when no `--agent` is given.
 */
export async function startStdioProxy(deps: ProxyDeps, io: { stdin: Readable; stdout: Writable }): Promise<RunningProxy> {
  const upstream = await deps.upstream();
  // The transport waits for 'drain' once per write that hits back-pressure; a busy agent
  // legitimately has many such writes pending, which is not a listener leak.
  io.stdout.setMaxListeners(0);
  const relay = new McpRelay({
    ...relayBasics(deps),
    agent: new NdjsonStreamTransport(io.stdin, io.stdout),
    upstream: upstream.transport,
    agentId: deps.agentId,
    allowClientInfoName: true,
    upstreamLabel: upstream.label,
    networkTransport: NetworkTransport.PIPE,
    sessionId: randomUUID(),
    answerMalformed: { agent: true, upstream: upstream.byteStream },
    relateServerMessages: false,
    onInitialized: () => void deps.warmUp?.(() => relay.toolCalls > 0),
  });
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const close = async () => {
    await relay.close();
    finish();
  };
  // End of input is the agent hanging up: our cue to stop.
  io.stdin.once('end', () => void close());
  io.stdin.once('close', () => void close());
  try {
    await relay.start();
  } catch (error) {
    await relay.close();
    throw new WardenError(ErrorCodes.UPSTREAM, `could not start the upstream MCP server "${upstream.label}": ${(error as Error).message}`, {
      hint: 'check the command after -- (it must be an MCP server speaking stdio)',
    });
  }
  return { done, close };
}

export interface HttpProxyOptions {
  host: string;
  port: number;
  tokens: TokenDirectory;
  /** Off loopback, or with a tokens file: anonymous clients are refused in every mode. */
  requireToken: boolean;
  limits?: SessionLimits;
}

/** Agents over Streamable HTTP at `/mcp`; each agent session gets its own upstream connection. */
export async function startHttpProxy(deps: ProxyDeps, opts: HttpProxyOptions): Promise<RunningProxy & { url: string; front: HttpFront }> {
  // The HTTP front (and the SDK's Streamable HTTP server under it) loads only when listening.
  const { startHttpFront } = await import('./http-front.js');
  const front = await startHttpFront({
    host: opts.host,
    port: opts.port,
    tokens: opts.tokens,
    requireToken: opts.requireToken,
    ...(opts.limits ? { limits: opts.limits } : {}),
    mode: () => deps.policy.mode,
    logger: deps.logger,
    openSession: (agent, transport) => openRelay(deps, agent, transport),
  });
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    url: front.url,
    front,
    done,
    close: async () => {
      await front.close();
      finish();
    },
  };
}

async function openRelay(deps: ProxyDeps, agent: string | undefined, transport: Transport): Promise<McpRelay> {
  const upstream = await deps.upstream();
  const relay = new McpRelay({
    ...relayBasics(deps),
    agent: transport,
    upstream: upstream.transport,
    agentId: agent,
    // Only an anonymous client (loopback, no tokens file, audit mode) is named by its clientInfo.
    allowClientInfoName: agent === undefined,
    upstreamLabel: upstream.label,
    networkTransport: NetworkTransport.TCP,
    answerMalformed: { agent: false, upstream: upstream.byteStream },
    relateServerMessages: true,
  });
  try {
    await relay.start();
  } catch (error) {
    await relay.close();
    throw error;
  }
  return relay;
}

function relayBasics(deps: ProxyDeps) {
  return { policy: deps.policy, recorder: deps.recorder, clock: deps.clock, logger: deps.logger, timeoutMs: deps.timeoutMs, approvals: deps.approvals };
}
