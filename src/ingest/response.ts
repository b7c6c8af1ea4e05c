import { OtlpField, ProtoWriter, WireType } from '../core/index.js';
import type { OtlpEncoding } from './decode.js';

const { ExportTraceServiceResponse: Response, ExportTracePartialSuccess: PartialSuccess, RpcStatus } = OtlpField;

/**
 * OTLP/HTTP replies, in the request's encoding: ExportTraceServiceResponse (empty on full
 * success, `partial_success` otherwise) and google.rpc.Status for errors.
 */

/** gRPC status codes carried in google.rpc.Status for the HTTP statuses the receiver uses. */
export const GRPC_CODE_FOR_HTTP: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  413: 3,
  415: 3,
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};

export function encodeExportResponse(encoding: OtlpEncoding, rejectedSpans: number, errorMessage: string | undefined): Buffer {
  if (encoding === 'json') {
    const body = rejectedSpans > 0 || errorMessage
      ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage: errorMessage ?? '' } }
      : {};
    return Buffer.from(JSON.stringify(body));
  }
  if (rejectedSpans === 0 && !errorMessage) return Buffer.alloc(0);
  const w = new ProtoWriter(64 + (errorMessage?.length ?? 0) * 3);
  w.tag(Response.PARTIAL_SUCCESS, WireType.LEN);
  const start = w.begin();
  varintField(w, PartialSuccess.REJECTED_SPANS, rejectedSpans);
  stringField(w, PartialSuccess.ERROR_MESSAGE, errorMessage ?? '');
  w.end(start);
  return Buffer.from(w.finish());
}

/**
 * google.rpc.Status {code, message}. The JSON form also carries Warden's own
 * `{"error":{code,message}}` so both OTLP clients and the API's error shape are served.
 */
export function encodeStatus(encoding: OtlpEncoding, httpStatus: number, wardenCode: string, message: string): Buffer {
  const grpcCode = GRPC_CODE_FOR_HTTP[httpStatus] ?? 2;
  if (encoding === 'json') {
    return Buffer.from(JSON.stringify({ code: grpcCode, message, error: { code: wardenCode, message } }));
  }
  const w = new ProtoWriter(64 + message.length * 3);
  varintField(w, RpcStatus.CODE, grpcCode);
  stringField(w, RpcStatus.MESSAGE, message);
  return Buffer.from(w.finish());
}

/** proto3 leaves fields at their default (0, '') off the wire. */
function varintField(w: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  w.tag(field, WireType.VARINT);
  w.int64(value);
}

function stringField(w: ProtoWriter, field: number, text: string): void {
  if (text === '') return;
  w.tag(field, WireType.LEN);
  w.string(text);
}
