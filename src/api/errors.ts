import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ErrorCodes, isWardenError, type ErrorCode, type Logger } from '../core/index.js';

/** The one mapping from Warden error codes to HTTP statuses. */
export const HTTP_STATUS_FOR_CODE: Record<ErrorCode, number> = {
  [ErrorCodes.CONFIG_INVALID]: 400,
  [ErrorCodes.POLICY_INVALID]: 400,
  [ErrorCodes.POLICY_NOT_FOUND]: 404,
  [ErrorCodes.STORE_LOCKED]: 503,
  [ErrorCodes.STORE_MISSING]: 503,
  [ErrorCodes.STORE_UNREACHABLE]: 503,
  [ErrorCodes.STORE_TOO_OLD]: 503,
  [ErrorCodes.STORE_QUERY]: 500,
  [ErrorCodes.STORE_TIMEOUT]: 504,
  [ErrorCodes.MIGRATION_CHECKSUM]: 500,
  [ErrorCodes.MIGRATION_FAILED]: 500,
  [ErrorCodes.OTLP_BAD_DATA]: 400,
  [ErrorCodes.OTLP_UNSUPPORTED_TYPE]: 415,
  [ErrorCodes.OTLP_TOO_LARGE]: 413,
  [ErrorCodes.OVERLOADED]: 503,
  [ErrorCodes.INGEST_NOT_READY]: 503,
  [ErrorCodes.BAD_REQUEST]: 400,
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCodes.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.UNAUTHORIZED]: 401,
  [ErrorCodes.HOST_NOT_LOCAL]: 403,
  [ErrorCodes.UPSTREAM]: 502,
  [ErrorCodes.TIMEOUT]: 504,
  [ErrorCodes.ALERTS_INVALID]: 400,
  [ErrorCodes.APPROVAL_DECIDED]: 409,
  [ErrorCodes.INTERNAL]: 500,
};

export interface ApiError {
  status: number;
  code: ErrorCode;
  message: string;
}

/** The API's error body: `{"error":{"code","message"}}`. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).type('application/json').send(errorBody(code, message));
}

/**
 * Any error thrown in a route or by fastify → status, code and message. Validation errors
 * read `querystring/from: <problem>`; unknown errors are 500 without internals.
 */
export function toApiError(error: unknown): ApiError {
  if (isWardenError(error)) return { status: HTTP_STATUS_FOR_CODE[error.code] ?? 500, code: error.code, message: error.message };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'request';
    const message = error.validation.map((v) => `${context}${v.instancePath}: ${v.message}`).join('; ');
    return { status: 400, code: ErrorCodes.BAD_REQUEST, message };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'request';
    const message = fastifyError.validation.map((v) => `${context}${v.instancePath}: ${v.message ?? 'invalid'}`).join('; ');
    return { status: 400, code: ErrorCodes.BAD_REQUEST, message };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 413 ? ErrorCodes.PAYLOAD_TOO_LARGE : status === 415 ? ErrorCodes.UNSUPPORTED_MEDIA_TYPE
      : status === 401 ? ErrorCodes.UNAUTHORIZED : status === 404 ? ErrorCodes.NOT_FOUND : ErrorCodes.BAD_REQUEST;
    return { status, code, message: fastifyError.message ?? 'bad request' };
  }
  return { status: 500, code: ErrorCodes.INTERNAL, message: 'internal error' };
}

/** fastify error handler rendering `toApiError` as the API's error body. */
export function createErrorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      logger.error('request failed', { method: request.method, url: request.url, error: error instanceof Error ? error.message : String(error) });
    }
    return sendError(reply, apiError.status, apiError.code, apiError.message);
  };
}
