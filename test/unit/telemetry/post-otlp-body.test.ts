import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postOtlpBody } from '../../../src/telemetry/index.js';

describe('postOtlpBody (OTLP/HTTP protobuf POST)', () => {
  let server: Server;
  let url = '';
  const seen: Array<{ type: string | undefined; auth: string | undefined; bytes: number }> = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ type: req.headers['content-type'], auth: req.headers.authorization, bytes: Buffer.concat(chunks).length });
        if (req.url === '/slow') return; // never answers
        res.writeHead(Number(req.url?.slice(1))).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the body as protobuf with the configured headers, and reads the status as delivered, retry or rejected', async () => {
    assert.equal(await postOtlpBody(`${url}/200`, new Uint8Array(300), 2_000, { authorization: 'Bearer t' }), 'delivered');
    assert.deepEqual(seen.at(-1), { type: 'application/x-protobuf', auth: 'Bearer t', bytes: 300 });
    for (const status of [401, 403, 429, 502, 503, 504]) assert.equal(await postOtlpBody(`${url}/${status}`, new Uint8Array(1)), 'retry', String(status));
    for (const status of [400, 404, 413, 500]) assert.equal(await postOtlpBody(`${url}/${status}`, new Uint8Array(1)), 'rejected', String(status));
  });

  it('gives up on an endpoint that does not answer within the timeout, or is not there, as retry', async () => {
    const started = Date.now();
    assert.equal(await postOtlpBody(`${url}/slow`, new Uint8Array(1), 200), 'retry');
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await postOtlpBody('http://127.0.0.1:1/v1/traces', new Uint8Array(1), 500), 'retry');
  });

  it('sends again on a new connection when a kept-alive one turns out closed by the server, instead of spooling', async () => {
    const perSocket = new Map<unknown, number>();
    let requests = 0;
    const closing = createServer((req, res) => {
      requests++;
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      // The second request on a connection finds it closed, as when a server's idle timeout fires just then.
      if (n > 1) return void req.socket.destroy();
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(closing.address() as AddressInfo).port}/v1/traces`;
    try {
      assert.equal(await postOtlpBody(target, new Uint8Array(10)), 'delivered');
      assert.equal(await postOtlpBody(target, new Uint8Array(10)), 'delivered');
      assert.equal(requests, 3, 'the second body was sent twice: once on the dead connection, once on a new one');
      assert.equal(perSocket.size, 2);
    } finally {
      closing.closeAllConnections();
      closing.close();
    }
  });
});
