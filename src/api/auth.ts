import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, foreignHostHeader } from '../core/index.js';
import { sendError } from './errors.js';

/** Probes stay open so orchestrators can check liveness without the token. */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Who made a request: an operator's name, `api-token` (the shared token), or `local` (loopback, no token). */
declare module 'fastify' {
  interface FastifyRequest {
    wardenIdentity?: string;
  }
}

export const API_TOKEN_IDENTITY = 'api-token';
export const LOCAL_IDENTITY = 'local';

/** Operators by the sha256 (hex) of their bearer token, so the file that configures them holds no secret. */
export type OperatorTokens = ReadonlyMap<string, string>;

export function requestIdentity(request: FastifyRequest): string {
  return request.wardenIdentity ?? LOCAL_IDENTITY;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function bearerOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1]?.trim();
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves no data and needs no token: the console's static files, which a
     * browser loads by navigation and so cannot send a bearer header for. Everything they
     * fetch (`/api/v1/*`) still needs the token.
     */
    public?: boolean;
  }
}

/**
 * An onRequest hook that names the caller. With an API token, every route except the probes
 * needs `Authorization: Bearer <token>`: the shared token or an operator's. Compared in
 * constant time over digests, so neither content nor length leaks. Without one (loopback), a
 * request is `local` unless it carries an operator's token.
 */
export function bearerAuth(token: string | undefined, operators: OperatorTokens = new Map()) {
  const expected = token === undefined ? undefined : digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = bearerOf(request);
    const givenDigest = digest(given ?? '');
    const operator = given === undefined ? undefined : operators.get(givenDigest.toString('hex'));
    if (operator !== undefined) {
      request.wardenIdentity = operator;
      return;
    }
    if (expected === undefined) {
      request.wardenIdentity = LOCAL_IDENTITY;
      return;
    }
    if (given !== undefined && timingSafeEqual(givenDigest, expected)) {
      request.wardenIdentity = API_TOKEN_IDENTITY;
      return;
    }
    const path = request.url.split('?')[0] ?? '';
    if (UNAUTHENTICATED_PATHS.has(path) || request.routeOptions.config.public === true) return;
    reply.header('WWW-Authenticate', 'Bearer realm="warden"');
    await sendError(reply, 401, ErrorCodes.UNAUTHORIZED, given !== undefined ? 'invalid API token' : 'missing bearer token (Authorization: Bearer <token>)');
  };
}

/**
 * An onRequest hook for a loopback listener: a request whose Host or Origin names another
 * machine is refused (403) before anything else runs, so a web page that rebinds its own name
 * to 127.0.0.1 cannot read or write through a browser. Probes are not exempt.
 */
export function loopbackHostCheck() {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const foreign = foreignHostHeader(request.headers.host, request.headers.origin);
    if (foreign === undefined) return;
    await sendError(reply, 403, ErrorCodes.HOST_NOT_LOCAL,
      `${foreign.header} ${JSON.stringify(foreign.value)} is not this machine: warden serve listens on loopback and answers only requests addressed to localhost, 127.0.0.1 or [::1]` +
      ' (behind a reverse proxy, have it send Host: 127.0.0.1; or listen off loopback with an API token)');
  };
}
