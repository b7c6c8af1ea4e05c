import type { Readable, Writable } from 'node:stream';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LineSplitter, parseLine, serializeLine } from './ndjson.js';

/** The SDK's default for one stdio message; a longer line is a broken peer, not a message. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * An MCP Transport over a pair of byte streams carrying newline-delimited JSON-RPC: the
 * agent side of a stdio proxy (this process's stdin/stdout) and the pipes of a spawned
 * upstream. Every line is its own message: a line that cannot be read is reported through
 * `onerror` and the lines after it are still delivered.
 */
export class NdjsonStreamTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  private readonly splitter = new LineSplitter(MAX_LINE_BYTES);
  private started = false;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('transport already started');
    this.started = true;
    this.input.on('data', this.onData);
    this.input.on('error', this.onStreamError);
    this.output.on('error', this.onStreamError);
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed || this.output.destroyed) return Promise.reject(new Error('Not connected'));
    // A pipe write either goes out now or queues in the stream; back-pressure resolves on 'drain'.
    if (this.output.write(serializeLine(message))) return Promise.resolve();
    return new Promise((resolve) => this.output.once('drain', resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onStreamError);
    this.output.off('error', this.onStreamError);
    // Let the process exit once nobody else reads the stream.
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.splitter.clear();
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.splitter.push(chunk, this.onLine);
    } catch (error) {
      this.onerror?.(error as Error);
    }
  };

  private readonly onLine = (line: string): void => {
    let message: JSONRPCMessage;
    try {
      message = parseLine(line);
    } catch (error) {
      this.onerror?.(error as Error);
      return;
    }
    this.onmessage?.(message);
  };

  private readonly onStreamError = (error: Error): void => {
    this.onerror?.(error);
  };
}
