import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamConfig } from '../config/index.js';

export interface UpstreamConnection {
  transport: Transport;
  /** Names the upstream in spans until its `initialize` reply gives a serverInfo name. */
  label: string;
  /** A byte stream (stdio) whose unreadable lines get a JSON-RPC error back. */
  byteStream: boolean;
}

/** A fresh upstream connection: one child process or one Streamable HTTP session per agent session. */
export type UpstreamFactory = () => UpstreamConnection;

export function upstreamFactory(config: UpstreamConfig): UpstreamFactory {
  if (config.kind === 'http') {
    const url = new URL(config.url);
    return () => ({
      transport: new StreamableHTTPClientTransport(url, { requestInit: { headers: config.headers } }),
      label: config.url,
      byteStream: false,
    });
  }
  const label = [config.command, ...config.args].join(' ');
  // The child's stderr is inherited: the wrapped server's logs stay visible to whoever runs the proxy.
  return () => ({
    transport: new StdioClientTransport({ command: config.command, args: config.args, env: config.env, stderr: 'inherit' }),
    label,
    byteStream: true,
  });
}
