import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes } from '../core/index.js';
import { sendError } from './errors.js';

/** Probes stay open so orchestrators can check liveness without the token. */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * An onRequest hook requiring `Authorization: Bearer <token>` on every route except the
 * probes. Compared in constant time over digests, so neither content nor length leaks.
 */
export function bearerAuth(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?')[0] ?? '';
    if (UNAUTHENTICATED_PATHS.has(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = createHash('sha256').update(match?.[1]?.trim() ?? '').digest();
    if (match && timingSafeEqual(given, expected)) return;
    reply.header('WWW-Authenticate', 'Bearer realm="warden"');
    await sendError(reply, 401, ErrorCodes.UNAUTHORIZED, match ? 'invalid API token' : 'missing bearer token (Authorization: Bearer <token>)');
  };
}
