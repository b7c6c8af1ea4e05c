import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { NdjsonStreamTransport } from './stdio-transport.js';

export interface ChildServerParams {
  command: string;
  args: string[];
  /** The child's whole environment (the proxy passes its own through; see config). */
  env: Record<string, string>;
}

/** How long a server gets to exit after its stdin closes, and again after SIGTERM. */
const EXIT_GRACE_MS = 2_000;

/**
 * A stdio MCP server as a child process: newline-delimited JSON-RPC on its stdin/stdout,
 * its stderr inherited so the wrapped server's logs stay visible to whoever runs the proxy.
 * Closing ends its stdin, then escalates to SIGTERM and SIGKILL if it lingers (the MCP
 * stdio transport's shutdown sequence).
 */
export class ChildProcessTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  private child: ChildProcess | undefined;
  private lines: NdjsonStreamTransport | undefined;

  constructor(private readonly params: ChildServerParams) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('child transport already started');
    const child = spawn(this.params.command, this.params.args, { env: this.params.env, stdio: ['pipe', 'pipe', 'inherit'], shell: false });
    this.child = child;
    const lines = new NdjsonStreamTransport(child.stdout!, child.stdin!);
    this.lines = lines;
    lines.onmessage = (message) => this.onmessage?.(message);
    lines.onerror = (error) => this.onerror?.(error);
    child.once('close', () => {
      this.child = undefined;
      void lines.close();
      this.onclose?.();
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(lines.start()));
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
    });
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (!this.child || !this.lines) return Promise.reject(new Error('Not connected'));
    return this.lines.send(message, options);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<boolean>((resolve) => child.once('close', () => resolve(true)));
    child.stdin?.end();
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (await Promise.race([exited, sleep(EXIT_GRACE_MS, false, { ref: false })])) return;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
    }
  }
}
