/** Real HTTP receivers on loopback that record what arrives (JSON bodies and headers). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  atMs: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Status to answer with (default 200); a function can vary it per request. */
  respond: (req: Received) => number;
  close(): Promise<void>;
}

export async function startReceiver(respond: (req: Received) => number = () => 200, port = 0): Promise<Receiver> {
  const state: Receiver = { url: '', port: 0, received: [], respond, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Received = { atMs: Date.now(), path: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
      state.received.push(rec);
      res.statusCode = state.respond(rec);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return state;
}

/** A port with nothing listening (bound once, then released). */
export async function deadPort(): Promise<number> {
  const r = await startReceiver();
  await r.close();
  return r.port;
}
