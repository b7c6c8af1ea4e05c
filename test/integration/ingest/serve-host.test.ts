// `warden serve` on loopback answers only requests addressed to this machine (design "Trust
// rules" 5: DNS rebinding): a page at evil.example whose name now resolves to 127.0.0.1 sends
// `Host: evil.example:4318` (and its own Origin), and must get a 403 that says why, on every
// route, the receiver included. Off loopback the API token is the guard, so any Host is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServe } from './serve-helpers.js';

const OTLP_JSON = JSON.stringify({ resourceSpans: [] });

test('on loopback: a foreign Host or Origin gets 403 with the reason, on every route; loopback names pass', async () => {
  const serve = await startTestServe();
  try {
    const inject = (url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET') =>
      serve.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: OTLP_JSON } : {}) });
    for (const host of ['localhost:4318', '127.0.0.1:4318', '127.0.0.2', '[::1]:4318', 'LOCALHOST']) {
      assert.equal((await inject('/healthz', { host })).statusCode, 200, `Host ${host}`);
    }
    const posts = { 'content-type': 'application/json' };
    for (const [url, method] of [['/healthz', 'GET'], ['/metrics', 'GET'], ['/api/v1/agents', 'GET'], ['/openapi.json', 'GET'], ['/v1/traces', 'POST']] as const) {
      for (const host of ['evil.example:4318', 'evil.example', '127.0.0.1.evil.example', 'localhost.evil.example:4318', '[::2]:4318']) {
        const res = await inject(url, { host, ...posts }, method);
        assert.equal(res.statusCode, 403, `${method} ${url} with Host ${host}`);
        const body = res.json<{ error: { code: string; message: string } }>();
        assert.equal(body.error.code, 'WARDEN_HOST_NOT_LOCAL');
        assert.match(body.error.message, /^Host ".*" is not this machine: warden serve listens on loopback/);
      }
      for (const origin of ['http://evil.example', 'null', 'not a url', 'http://127.0.0.1.evil.example:8080']) {
        const res = await inject(url, { host: '127.0.0.1:4318', origin, ...posts }, method);
        assert.equal(res.statusCode, 403, `${method} ${url} with Origin ${origin}`);
        assert.match(res.json<{ error: { message: string } }>().error.message, /^Origin ".*" is not this machine/);
      }
    }
    assert.equal((await inject('/v1/traces', { host: '127.0.0.1:4318', origin: 'http://localhost:3000', ...posts }, 'POST')).statusCode, 200);
  } finally {
    await serve.close();
  }
});

test('off loopback the token guards, and any Host is served to a caller who has it', async () => {
  const serve = await startTestServe({ listen: '0.0.0.0:0', apiToken: 's3cret' });
  try {
    const res = await serve.app.inject({ method: 'GET', url: '/metrics', headers: { host: 'warden.internal:4318', authorization: 'Bearer s3cret' } });
    assert.equal(res.statusCode, 200);
    const anonymous = await serve.app.inject({ method: 'GET', url: '/metrics', headers: { host: 'warden.internal:4318' } });
    assert.equal(anonymous.statusCode, 401);
  } finally {
    await serve.close();
  }
});
