import { gunzip, gunzipSync, inflate, inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import { DEFAULT_INGEST_LIMITS } from '../config/index.js';
import { err, ok, type Result } from '../core/index.js';
import { OverBudgetError, type DecodedTraces } from './collector.js';
import { decodeTracesJson } from './otlp-json.js';
import { checkJsonSpanBudget } from './otlp-json-budget.js';
import { decodeTracesProtobuf } from './otlp-proto.js';
import type { OtelTraceRow } from './row.js';

export type OtlpEncoding = 'protobuf' | 'json';

/** Why a request could not be decoded; `kind` picks the HTTP status (415, 413, 400; over_budget: 429/503). */
export interface DecodeFailure {
  kind: 'unsupported_type' | 'too_large' | 'bad_data' | 'over_budget';
  message: string;
}

/** `application/x-protobuf` / `application/json` (parameters and case ignored). */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Undoes Content-Encoding off the event loop, refusing output over `maxBytes`. */
export async function decompressBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Result<Buffer, DecodeFailure>> {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  try {
    if (coding === 'identity' || coding === '') return ok(body);
    if (coding === 'gzip' || coding === 'x-gzip') return ok(await gunzipAsync(body, { maxOutputLength: maxBytes }));
    if (coding === 'deflate') return ok(await inflateAsync(body, { maxOutputLength: maxBytes }));
  } catch (e) {
    return err(decompressFailure(e, coding, maxBytes));
  }
  return err({ kind: 'unsupported_type', message: `unsupported Content-Encoding "${contentEncoding}" (use gzip or none)` });
}

function decompressSync(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Result<Buffer, DecodeFailure> {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  try {
    if (coding === 'identity' || coding === '') return ok(body);
    if (coding === 'gzip' || coding === 'x-gzip') return ok(gunzipSync(body, { maxOutputLength: maxBytes }));
    if (coding === 'deflate') return ok(inflateSync(body, { maxOutputLength: maxBytes }));
  } catch (e) {
    return err(decompressFailure(e, coding, maxBytes));
  }
  return err({ kind: 'unsupported_type', message: `unsupported Content-Encoding "${contentEncoding}" (use gzip or none)` });
}

function decompressFailure(e: unknown, coding: string, maxBytes: number): DecodeFailure {
  const code = (e as { code?: string }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE' || (e instanceof RangeError && /maxOutputLength|too large/i.test(e.message))) {
    return { kind: 'too_large', message: `decompressed body exceeds ${maxBytes} bytes` };
  }
  return { kind: 'bad_data', message: `body is not valid ${coding} data: ${(e as Error).message}` };
}

/**
 * Decodes an already-decompressed OTLP body of a known encoding, stopping with `over_budget`
 * as soon as it holds more than `budget` spans (nothing of it is accepted then).
 */
export function decodeOtlpBody(body: Buffer, encoding: OtlpEncoding, budget = Infinity): Result<DecodedTraces, DecodeFailure> {
  try {
    if (encoding === 'protobuf') return ok(decodeTracesProtobuf(body, budget));
    checkJsonSpanBudget(body, budget); // JSON.parse would build every object of the body before the spans could be counted
    return ok(decodeTracesJson(body.toString('utf8'), budget));
  } catch (e) {
    if (e instanceof OverBudgetError) return err({ kind: 'over_budget', message: e.message });
    const what = encoding === 'protobuf' ? 'malformed protobuf ExportTraceServiceRequest' : 'malformed OTLP/JSON request';
    return err({ kind: 'bad_data', message: `${what}: ${(e as Error).message}` });
  }
}

/**
 * OTLP/HTTP trace request body → `otel_traces` rows, as the Collector's ClickHouse exporter
 * would write them. Synchronous (gzip included); the receiver uses the async pieces above.
 * Spans refused one by one (bad ids, out-of-range times) are left out of `rows` and counted
 * in `rejectedSpans`.
 */
export function decodeOtlpTraces(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding?: string,
  maxBytes: number = DEFAULT_INGEST_LIMITS.maxBodyBytes,
): Result<{ rows: OtelTraceRow[]; spanCount: number; rejectedSpans: number; rejectReason: string | undefined }, string> {
  const encoding = otlpEncodingOf(contentType);
  if (!encoding) return err(`unsupported Content-Type "${contentType ?? ''}" (use application/x-protobuf or application/json)`);
  const plain = decompressSync(body, contentEncoding, maxBytes);
  if (!plain.ok) return err(plain.error.message);
  const decoded = decodeOtlpBody(plain.value, encoding);
  return decoded.ok ? decoded : err(decoded.error.message);
}
