import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_SESSION_LIMITS } from '../config/index.js';
import { foreignHostHeader, isLoopbackHost, type Logger } from '../core/index.js';
import type { PolicyMode } from '../policy/index.js';
import { bearerToken, type TokenDirectory } from './identity.js';
import { describeCollision, findKeyCollision } from './json-keys.js';
import { RpcError } from './messages.js';
import { isJsonRpcMessage } from './ndjson.js';
import type { McpRelay } from './relay.js';

export const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface SessionLimits {
  maxSessions: number;
  maxSessionsPerAgent: number;
  idleMs: number;
}

export interface HttpFrontOptions {
  host: string;
  port: number;
  tokens: TokenDirectory;
  /** Current mode (it can change on policy reload): enforce refuses agents without a token. */
  mode: () => PolicyMode;
  /** Every request needs a known token, in audit mode too (off loopback, or with a tokens file). */
  requireToken: boolean;
  limits?: SessionLimits;
  /** Connects a new agent session to a fresh upstream and starts relaying. */
  openSession(agent: string | undefined, transport: StreamableHTTPServerTransport): Promise<McpRelay>;
  logger: Logger;
}

export interface HttpFront {
  url: string;
  readonly sessionCount: number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  relay: McpRelay | undefined;
  agent: string | undefined;
  lastSeenMs: number;
}

/**
 * Serves agents over Streamable HTTP at `/mcp`: one SDK server transport and one upstream
 * connection per agent session; identity from a bearer token (tokens file), checked on every
 * request and bound to the session. On a loopback address the Host and Origin headers must be
 * loopback too (DNS rebinding protection).
 */
export async function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const sessions = new Map<string, Session>();
  const opening = new Set<Session>();
  const limits = opts.limits ?? DEFAULT_SESSION_LIMITS;
  const loopback = isLoopbackHost(opts.host);
  const sweep = setInterval(() => closeIdle(), Math.max(1_000, Math.min(60_000, Math.floor(limits.idleMs / 4))));
  sweep.unref();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      opts.logger.error('HTTP request failed', { error: String(error) });
      if (!res.headersSent) reply(res, 500, 'internal error');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://x').pathname !== MCP_PATH) return reply(res, 404, `not found; MCP is served at ${MCP_PATH}`);
    if (loopback && !isLoopbackRequest(req)) return reply(res, 403, 'forbidden: Host/Origin must be a loopback address');
    const identity = authenticate(req);
    if (identity === 'unauthorized') {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, opts.mode() === 'enforce' ? 'unauthorized: enforce mode needs a bearer token from the tokens file' : 'unauthorized: unknown bearer token');
    }
    const read = req.method === 'POST' ? await readBody(req) : undefined;
    if (read instanceof Error) return reply(res, read.message === 'too large' ? 413 : 400, read.message, read.message === 'too large' ? undefined : RpcError.PARSE_ERROR);
    const body = read?.body;
    const sessionId = req.headers['mcp-session-id'];
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (typeof sessionId === 'string' && (!session || session.agent !== identity)) return reply(res, 404, 'session not found', -32001);
    // Trust rule 1 for HTTP: the SDK re-reads the body, so its keys are checked here, on the bytes.
    const collision = read === undefined ? undefined : findKeyCollision(read.text);
    if (collision) {
      const reason = describeCollision(collision);
      for (const message of Array.isArray(body) ? body : [body]) session?.relay?.recordRefusal(message as never, reason);
      opts.logger.warn('refused a message from the agent', { reason, agent: identity });
      return reply(res, 400, `warden: refused: ${reason}`, RpcError.INVALID_REQUEST, idOf(body));
    }
    if (session) {
      session.lastSeenMs = Date.now();
      return session.transport.handleRequest(req, res, body);
    }
    const problem = initializeProblem(req, body);
    if (problem) return reply(res, problem.status, problem.message, RpcError.INVALID_REQUEST);
    const full = capacityProblem(identity);
    if (full) return reply(res, 503, full);
    await openSession(identity, req, res, body);
  }

  async function openSession(agent: string | undefined, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const session: Session = { transport: undefined as unknown as StreamableHTTPServerTransport, relay: undefined, agent, lastSeenMs: Date.now() };
    session.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
    });
    opening.add(session);
    try {
      session.relay = await opts.openSession(agent, session.transport);
    } catch (error) {
      opening.delete(session);
      return reply(res, 502, `could not connect to the upstream MCP server: ${(error as Error).message}`);
    }
    const forget = session.transport.onclose;
    session.transport.onclose = () => {
      if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
      forget?.();
    };
    try {
      await session.transport.handleRequest(req, res, body);
    } finally {
      opening.delete(session);
      // The SDK refused the initialize after all: nothing of the session may stay behind.
      if (session.transport.sessionId === undefined) await session.relay.close();
    }
  }

  /** The agent id for the request, undefined when anonymous access is allowed, or 'unauthorized'. */
  function authenticate(req: IncomingMessage): string | undefined | 'unauthorized' {
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) return opts.tokens.agentFor(token) ?? 'unauthorized';
    return opts.requireToken || opts.mode() === 'enforce' ? 'unauthorized' : undefined;
  }

  function capacityProblem(agent: string | undefined): string | undefined {
    const open = [...sessions.values(), ...opening];
    if (open.length >= limits.maxSessions) return `too many sessions (${limits.maxSessions}); close one or raise --max-sessions`;
    const mine = open.filter((s) => s.agent === agent).length;
    if (mine >= limits.maxSessionsPerAgent) return `too many sessions for ${agent ?? 'anonymous clients'} (${limits.maxSessionsPerAgent}); close one or raise --max-sessions-per-agent`;
    return undefined;
  }

  function closeIdle(): void {
    const cutoff = Date.now() - limits.idleMs;
    for (const [id, session] of sessions) {
      if (session.lastSeenMs > cutoff) continue;
      sessions.delete(id);
      opts.logger.info('closing an idle agent session', { agent: session.agent ?? 'anonymous', idle_ms: Date.now() - session.lastSeenMs });
      void session.relay?.close();
      void session.transport.close();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostPart}:${port}${MCP_PATH}`,
    get sessionCount() {
      return sessions.size;
    },
    close: async () => {
      clearInterval(sweep);
      await Promise.allSettled([...sessions.values()].map((s) => s.relay?.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What the SDK would refuse about a session's first request, checked before an upstream is
 * started for it (trust rule 4): a refused initialize must leave no process behind.
 */
function initializeProblem(req: IncomingMessage, body: unknown): { status: number; message: string } | undefined {
  if (req.method !== 'POST' || !isJsonRpcMessage(body) || !isInitializeRequest(body)) {
    return { status: 400, message: 'bad request: a session starts with one initialize request; later requests need the Mcp-Session-Id header' };
  }
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return { status: 406, message: 'not acceptable: the client must accept both application/json and text/event-stream' };
  }
  if (!(req.headers['content-type'] ?? '').includes('application/json')) return { status: 415, message: 'unsupported media type: Content-Type must be application/json' };
  return undefined;
}

function idOf(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function isLoopbackRequest(req: IncomingMessage): boolean {
  return foreignHostHeader(req.headers.host, req.headers.origin) === undefined;
}

async function readBody(req: IncomingMessage): Promise<{ body: unknown; text: string } | Error> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return new Error('too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { body: JSON.parse(text) as unknown, text };
  } catch {
    return new Error('Parse error: the body is not valid JSON');
  }
}

function reply(res: ServerResponse, status: number, message: string, code = -32000, id: string | number | null = null): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
}
