import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * MCP's stdio framing: one JSON-RPC message per line. The proxy reads and checks each line
 * itself rather than through the SDK's schema parser: that parser costs more than the rest
 * of a call's proxy work together, and the relay only needs the envelope. A message that
 * goes through unchanged is written out as the exact line it came in as.
 */

/** The error a line that is JSON but not a JSON-RPC 2.0 message is reported with. */
export class InvalidJsonRpcError extends Error {
  override readonly name = 'InvalidJsonRpcError';
}

/** The text each parsed message was read from, so an unchanged message is forwarded byte for byte. */
const LINE_OF = new WeakMap<object, string>();

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const NOTIFICATION_KEYS = new Set(['jsonrpc', 'method', 'params']);
const RESULT_KEYS = new Set(['jsonrpc', 'id', 'result']);
const ERROR_KEYS = new Set(['jsonrpc', 'id', 'error']);

/** Parses one line; throws SyntaxError (not JSON) or InvalidJsonRpcError (not a JSON-RPC message). */
export function parseLine(line: string): JSONRPCMessage {
  const value: unknown = JSON.parse(line);
  if (!isJsonRpcMessage(value)) throw new InvalidJsonRpcError('not a JSON-RPC 2.0 request, notification or response');
  LINE_OF.set(value, line);
  return value;
}

/** The exact text a message was read from, when it came in as a line (or an HTTP body). */
export function rawTextOf(message: object): string | undefined {
  return LINE_OF.get(message);
}

/** Remembers the text a message was parsed from (the HTTP front parses bodies itself). */
export function noteRawText(message: object, text: string): void {
  LINE_OF.set(message, text);
}

/** The line to write for a message: the original text when it came in that way, else fresh JSON. */
export function serializeLine(message: JSONRPCMessage): string {
  return `${LINE_OF.get(message) ?? JSON.stringify(message)}\n`;
}

/**
 * The envelope check the MCP SDK applies (JSON-RPC 2.0; MCP allows no batches): a request,
 * notification, result or error, with no other top-level members.
 */
export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (!isPlainObject(value) || value.jsonrpc !== '2.0') return false;
  if (typeof value.method === 'string') {
    if (value.params !== undefined && !isPlainObject(value.params)) return false;
    return 'id' in value ? isRequestId(value.id) && onlyKeys(value, REQUEST_KEYS) : onlyKeys(value, NOTIFICATION_KEYS);
  }
  if ('result' in value) return isRequestId(value.id) && isPlainObject(value.result) && onlyKeys(value, RESULT_KEYS);
  if ('error' in value) {
    const error = value.error;
    const idOk = value.id === undefined || isRequestId(value.id);
    return idOk && isPlainObject(error) && Number.isInteger(error.code) && typeof error.message === 'string' && onlyKeys(value, ERROR_KEYS);
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): boolean {
  return typeof value === 'string' || Number.isInteger(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/**
 * Splits a byte stream into lines. Bytes are kept until a newline arrives, so a UTF-8
 * character split across chunks decodes whole; a `\r` before the newline is dropped.
 */
export class LineSplitter {
  private pending: Buffer | undefined;

  constructor(private readonly maxLineBytes: number) {}

  /** Feeds a chunk; calls `onLine` for every complete line. Throws when a line outgrows the limit. */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let start = 0;
    for (let end = buffer.indexOf(10); end !== -1; end = buffer.indexOf(10, start)) {
      const stop = end > start && buffer[end - 1] === 13 ? end - 1 : end;
      if (stop > start) onLine(buffer.toString('utf8', start, stop));
      start = end + 1;
    }
    if (start < buffer.length) {
      buffer = buffer.subarray(start);
      if (buffer.length > this.maxLineBytes) throw new Error(`a message is longer than ${this.maxLineBytes} bytes`);
      this.pending = buffer;
    }
  }

  clear(): void {
    this.pending = undefined;
  }
}
