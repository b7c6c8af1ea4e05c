import { errorMessage } from '../core/index.js';

/**
 * ClickHouse error codes that mean "these rows are bad", not "the store cannot take rows now"
 * (numbers and names from ClickHouse's src/Common/ErrorCodes.cpp). Retrying such a batch
 * can never succeed; every other failure (NOT_ENOUGH_SPACE 243, TOO_MANY_PARTS 252,
 * READONLY 164, AUTHENTICATION_FAILED 516, MEMORY_LIMIT_EXCEEDED 241, TIMEOUT_EXCEEDED 159,
 * network errors, and codes not listed here) is a fault of the store that passes.
 */
const BAD_DATA_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DOESNT_MATCH'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [395, 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO'],
  [407, 'DECIMAL_OVERFLOW'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'],
  [467, 'CANNOT_PARSE_BOOL'],
  [469, 'VIOLATED_CONSTRAINT'],
]);
const BAD_DATA_NAMES = new Set(BAD_DATA_CODES.values());

/** What ClickHouse said, as far as the error carries it. */
export interface ClickHouseErrorId {
  code: number | undefined;
  name: string | undefined;
}

/** Reads "Code: 243" / "(NOT_ENOUGH_SPACE)" from the message, or the client's `code`/`type` fields, along the cause chain. */
export function clickhouseErrorOf(e: unknown): ClickHouseErrorId {
  let code: number | undefined;
  let name: string | undefined;
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    const fields = cur as { code?: unknown; type?: unknown; cause?: unknown };
    if (code === undefined && typeof fields.code === 'string' && /^\d+$/.test(fields.code)) code = Number(fields.code);
    if (name === undefined && typeof fields.type === 'string' && /^[A-Z][A-Z0-9_]+$/.test(fields.type)) name = fields.type;
    const message = errorMessage(cur);
    code ??= numberOf(/\bCode: (\d+)\b/.exec(message)?.[1]);
    name ??= /\(([A-Z][A-Z0-9_]{3,})\)/.exec(message)?.[1];
    cur = fields.cause;
  }
  if (code !== undefined && name === undefined) name = BAD_DATA_CODES.get(code);
  return { code, name };
}

/** How an insert failed: the rows are refused for what they hold, or the store cannot take rows now. */
export type InsertFailureKind = 'bad_data' | 'store_fault';

export function classifyInsertFailure(e: unknown): InsertFailureKind {
  const { code, name } = clickhouseErrorOf(e);
  if (name !== undefined && (BAD_DATA_NAMES.has(name) || name.startsWith('CANNOT_PARSE_'))) return 'bad_data';
  if (code !== undefined && BAD_DATA_CODES.has(code)) return 'bad_data';
  return 'store_fault';
}

/** "NOT_ENOUGH_SPACE (243)" or the message's first line: what to put in a log line. */
export function describeStoreFailure(e: unknown): string {
  const { code, name } = clickhouseErrorOf(e);
  const first = errorMessage(e).split('\n')[0] ?? '';
  if (name === undefined && code === undefined) return first;
  return `${name ?? 'code'} (${code ?? '?'}): ${first}`;
}

function numberOf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}
