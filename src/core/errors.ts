/**
 * Warden's error catalogue. Every module raises `WardenError`s with a stable code;
 * only the API error handler and the proxy translate them for the wire.
 * Expected outcomes (a deny, a missing row, a retryable overload) are values, not errors.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'WARDEN_CONFIG_INVALID',
  POLICY_INVALID: 'WARDEN_POLICY_INVALID',
  POLICY_NOT_FOUND: 'WARDEN_POLICY_NOT_FOUND',
  STORE_LOCKED: 'WARDEN_STORE_LOCKED',
  STORE_MISSING: 'WARDEN_STORE_MISSING',
  STORE_UNREACHABLE: 'WARDEN_STORE_UNREACHABLE',
  STORE_TOO_OLD: 'WARDEN_STORE_TOO_OLD',
  STORE_QUERY: 'WARDEN_STORE_QUERY',
  STORE_TIMEOUT: 'WARDEN_STORE_TIMEOUT',
  MIGRATION_CHECKSUM: 'WARDEN_MIGRATION_CHECKSUM',
  MIGRATION_FAILED: 'WARDEN_MIGRATION_FAILED',
  OTLP_BAD_DATA: 'WARDEN_OTLP_BAD_DATA',
  OTLP_UNSUPPORTED_TYPE: 'WARDEN_OTLP_UNSUPPORTED_TYPE',
  OTLP_TOO_LARGE: 'WARDEN_OTLP_TOO_LARGE',
  OVERLOADED: 'WARDEN_OVERLOADED',
  INGEST_NOT_READY: 'WARDEN_INGEST_NOT_READY',
  BAD_REQUEST: 'WARDEN_BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'WARDEN_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'WARDEN_UNSUPPORTED_MEDIA_TYPE',
  NOT_FOUND: 'WARDEN_NOT_FOUND',
  UNAUTHORIZED: 'WARDEN_UNAUTHORIZED',
  HOST_NOT_LOCAL: 'WARDEN_HOST_NOT_LOCAL',
  UPSTREAM: 'WARDEN_UPSTREAM',
  TIMEOUT: 'WARDEN_TIMEOUT',
  ALERTS_INVALID: 'WARDEN_ALERTS_INVALID',
  APPROVAL_DECIDED: 'WARDEN_APPROVAL_DECIDED',
  INTERNAL: 'WARDEN_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class WardenError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail (e.g. the list of policy problems). */
  readonly details: unknown;
  /** A short suggestion for the person at the terminal. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: unknown; hint?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WardenError';
    this.code = code;
    this.details = opts.details;
    this.hint = opts.hint;
  }
}

export function isWardenError(err: unknown, code?: ErrorCode): err is WardenError {
  return err instanceof WardenError && (code === undefined || err.code === code);
}

/** A message for any thrown value, without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
