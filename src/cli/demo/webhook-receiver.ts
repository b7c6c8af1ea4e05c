import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A notification as the demo's alert target received it. */
export interface ReceivedNotification {
  receivedAtMs: number;
  body: unknown;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Resolves with the first notification matching `predicate`, or undefined after `timeoutMs`. */
  waitFor(predicate: (n: ReceivedNotification) => boolean, timeoutMs: number): Promise<ReceivedNotification | undefined>;
  close(): Promise<void>;
}

/** The demo's alert target: a real HTTP endpoint on loopback that records what arrives. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      received.push({ receivedAtMs: Date.now(), body });
      for (const wake of waiters) wake();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor(predicate, timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          const hit = received.find(predicate);
          if (!hit) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          resolve(undefined);
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = () => void check();
        if (!check()) waiters.add(wake);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
