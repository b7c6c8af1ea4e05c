import type { OtlpEncoding } from './decode.js';

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
  const inner = Buffer.concat([varintField(1, rejectedSpans), stringField(2, errorMessage ?? '')]);
  return Buffer.concat([lengthPrefix(1, inner.length), inner]);
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
  return Buffer.concat([varintField(1, grpcCode), stringField(2, message)]);
}

function varintBytes(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

function varintField(field: number, value: number): Buffer {
  if (value === 0) return Buffer.alloc(0);
  return Buffer.from([...varintBytes(field << 3), ...varintBytes(value)]);
}

function lengthPrefix(field: number, length: number): Buffer {
  return Buffer.from([...varintBytes((field << 3) | 2), ...varintBytes(length)]);
}

function stringField(field: number, text: string): Buffer {
  if (text === '') return Buffer.alloc(0);
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([lengthPrefix(field, bytes.length), bytes]);
}
