import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/index.js';
import type { PolicyMode } from '../policy/index.js';
import { bearerToken, type TokenDirectory } from './identity.js';
import { RpcError } from './messages.js';
import type { McpRelay } from './relay.js';

export const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface HttpFrontOptions {
  host: string;
  port: number;
  tokens: TokenDirectory;
  /** Current mode (it can change on policy reload): enforce refuses agents without a token. */
  mode: () => PolicyMode;
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
}

/**
 * Serves agents over Streamable HTTP at `/mcp`: one SDK server transport and one upstream
 * connection per agent session; identity from a bearer token (tokens file), checked on every
 * request and bound to the session. On a loopback address the Host and Origin headers must be
 * loopback too (DNS rebinding protection).
 */
export async function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const sessions = new Map<string, Session>();
  const loopback = LOOPBACK_HOSTS.has(opts.host);
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
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (body instanceof Error) return reply(res, body.message === 'too large' ? 413 : 400, body.message, body.message === 'too large' ? undefined : RpcError.PARSE_ERROR);
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session || session.agent !== identity) return reply(res, 404, 'session not found', -32001);
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitialize(body)) return reply(res, 400, 'bad request: Mcp-Session-Id header is required', RpcError.INVALID_REQUEST);
    await openSession(identity, req, res, body);
  }

  async function openSession(agent: string | undefined, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const session: Session = { transport: undefined as unknown as StreamableHTTPServerTransport, relay: undefined, agent };
    session.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
    });
    try {
      session.relay = await opts.openSession(agent, session.transport);
    } catch (error) {
      return reply(res, 502, `could not connect to the upstream MCP server: ${(error as Error).message}`);
    }
    const forget = session.transport.onclose;
    session.transport.onclose = () => {
      if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
      forget?.();
    };
    await session.transport.handleRequest(req, res, body);
  }

  /** The agent id for the request, undefined when anonymous access is allowed, or 'unauthorized'. */
  function authenticate(req: IncomingMessage): string | undefined | 'unauthorized' {
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) return opts.tokens.agentFor(token) ?? 'unauthorized';
    return opts.mode() === 'enforce' ? 'unauthorized' : undefined;
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
      await Promise.allSettled([...sessions.values()].map((s) => s.relay?.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

function isLoopbackRequest(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined || !LOOPBACK_HOSTS.has(hostnameOf(host))) return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return new Error('too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return new Error('Parse error: the body is not valid JSON');
  }
}

function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}
