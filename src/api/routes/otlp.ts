import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes } from '../../core/index.js';
import { encodeExportResponse, encodeStatus, otlpEncodingOf, type OtlpEncoding, type OtlpReceiver, type ReceiveOutcome } from '../../ingest/index.js';
import { toApiError } from '../errors.js';

export interface OtlpRouteOptions {
  receiver: OtlpReceiver;
  /** Limit on the request body as sent (compressed or not); the receiver bounds it decompressed. */
  maxBodyBytes: number;
}

const CODE_FOR_STATUS: Record<number, string> = {
  400: ErrorCodes.OTLP_BAD_DATA,
  413: ErrorCodes.OTLP_TOO_LARGE,
  415: ErrorCodes.OTLP_UNSUPPORTED_TYPE,
  429: ErrorCodes.OVERLOADED,
  503: ErrorCodes.OVERLOADED,
};

const MEDIA_TYPE: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/**
 * `POST /v1/traces` (OTLP/HTTP). Registered as an encapsulated plugin: it reads every body
 * as raw bytes (its own content-type parser) and answers errors in the request's encoding
 * (google.rpc.Status), leaving the rest of the API's JSON handling alone.
 */
export async function otlpRoutes(app: FastifyInstance, opts: OtlpRouteOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    opts.receiver.metrics.countRequest(apiError.status);
    return sendOtlpError(request, reply, apiError.status, CODE_FOR_STATUS[apiError.status] ?? apiError.code, apiError.message);
  });

  app.post('/v1/traces', {
    schema: {
      summary: 'OTLP/HTTP trace receiver',
      description: 'ExportTraceServiceRequest as application/x-protobuf or application/json, optionally gzip-encoded. ' +
        'Replies in the request\'s encoding: 200 once the spans are durable (fsynced in the write-ahead log; partial_success when some spans were refused), ' +
        '400 bad data, 413 too large, 415 unsupported type, 429/503 + Retry-After when the write queue is full or the store refuses writes (retryable).',
      tags: ['ingest'],
    },
  }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const outcome = await opts.receiver.receive(body, request.headers['content-type'], headerText(request.headers['content-encoding']));
    opts.receiver.metrics.countRequest(outcome.kind === 'accepted' ? 200 : outcome.status);
    return sendOutcome(request, reply, outcome);
  });
}

function sendOutcome(request: FastifyRequest, reply: FastifyReply, outcome: ReceiveOutcome): FastifyReply {
  if (outcome.kind === 'accepted') {
    const message = outcome.rejectedSpans > 0 ? `${outcome.rejectedSpans} span(s) refused; first: ${outcome.rejectReason ?? ''}` : undefined;
    return reply.status(200).type(MEDIA_TYPE[outcome.encoding]).send(encodeExportResponse(outcome.encoding, outcome.rejectedSpans, message));
  }
  if (outcome.retryAfterSeconds !== undefined) reply.header('Retry-After', String(outcome.retryAfterSeconds));
  return sendOtlpError(request, reply, outcome.status, CODE_FOR_STATUS[outcome.status] ?? ErrorCodes.OTLP_BAD_DATA, outcome.message);
}

/** An error as google.rpc.Status in the request's encoding (JSON for unknown types). */
function sendOtlpError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const encoding = otlpEncodingOf(request.headers['content-type']) ?? 'json';
  return reply.status(status).type(MEDIA_TYPE[encoding]).send(encodeStatus(encoding, status, code, message));
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
