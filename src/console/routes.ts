/**
 * The console's routes: `/` (the page) and `/console/*` (its files). They carry no data, so
 * they are public (a browser cannot send a bearer header when it navigates); every API call
 * the page makes sends the token the user entered.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../api/index.js';
import { ErrorCodes } from '../core/index.js';
import { loadConsoleAssets, type ConsoleAsset } from './assets.js';

export const CONSOLE_PAGE = 'index.html';
const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

/**
 * Scripts only from this origin plus the page's one inline import map (by hash); no plugins,
 * no framing, requests only to this origin. Hostile names are already rendered as text; this
 * is the second wall.
 */
export function consoleCsp(page: string): string {
  const map = IMPORT_MAP.exec(page)?.[1];
  const mapHash = map === undefined ? '' : ` 'sha256-${createHash('sha256').update(map).digest('base64')}'`;
  return [
    "default-src 'self'", `script-src 'self'${mapHash}`, "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'none'",
  ].join('; ');
}

function send(request: FastifyRequest, reply: FastifyReply, a: ConsoleAsset, extra: Record<string, string> = {}): FastifyReply {
  void reply.headers({ 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', vary: 'accept-encoding', ...extra });
  if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(a.gzip);
  return reply.send(a.body);
}

export function consoleRoutes(): FastifyPluginAsync {
  const assets = loadConsoleAssets();
  const page = assets.get(CONSOLE_PAGE);
  if (!page) throw new Error(`internal: the console's ${CONSOLE_PAGE} is missing`);
  const csp = consoleCsp(page.body.toString('utf8'));
  return async (app: FastifyInstance) => {
    const config = { public: true };
    app.get('/', { config, schema: { hide: true } }, async (request, reply) => send(request, reply, page, { 'content-security-policy': csp }));
    app.get('/console/*', { config, schema: { hide: true } }, async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      const a = path === CONSOLE_PAGE ? undefined : assets.get(path);
      if (!a) return sendError(reply, 404, ErrorCodes.NOT_FOUND, `no console file ${path}`);
      return send(request, reply, a);
    });
  };
}
