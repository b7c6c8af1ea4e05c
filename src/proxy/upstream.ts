import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamConfig } from '../config/index.js';
import { ChildProcessTransport } from './child-transport.js';

export interface UpstreamConnection {
  transport: Transport;
  /** Names the upstream in spans until its `initialize` reply gives a serverInfo name. */
  label: string;
  /** A byte stream (stdio) whose unreadable lines get a JSON-RPC error back. */
  byteStream: boolean;
}

/** A fresh upstream connection: one child process or one Streamable HTTP session per agent session. */
export type UpstreamFactory = () => Promise<UpstreamConnection>;

export function upstreamFactory(config: UpstreamConfig): UpstreamFactory {
  if (config.kind === 'http') {
    const url = new URL(config.url);
    return async () => {
      // Loaded only for HTTP upstreams: a stdio proxy never pays for the SDK's HTTP client.
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      return {
        transport: new StreamableHTTPClientTransport(url, { requestInit: { headers: config.headers } }),
        label: config.url,
        byteStream: false,
      };
    };
  }
  const label = [config.command, ...config.args].join(' ');
  return async () => ({
    transport: new ChildProcessTransport({ command: config.command, args: config.args, env: config.env }),
    label,
    byteStream: true,
  });
}
