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
});
