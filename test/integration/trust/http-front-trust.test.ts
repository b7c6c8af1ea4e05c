// Trust rules 1, 3 and 4 on `warden proxy --listen`: bytes checked before the SDK reads them,
// no process for a refused request, sessions bounded per identity and in total, idle sessions
// closed, and off loopback (or with a tokens file) no anonymous client in audit mode either.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256Hex } from '../../../src/core/index.js';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { WARDEN_BIN, spawnProcess, type Spawned } from '../../helpers/processes.js';
import { RAW_UPSTREAM } from '../../helpers/raw-agent.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-http-trust-'));
let receiver: OtlpReceiver;
before(async () => {
  receiver = await OtlpReceiver.start();
});
after(async () => {
  await receiver.down();
  rmSync(root, { recursive: true, force: true });
});

const tokensFile = join(root, 'tokens.json');
writeFileSync(tokensFile, JSON.stringify({ agents: { ada: { token_sha256: sha256Hex('ada-token') } } }));
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

interface Front { proc: Spawned; url: string; log: string; starts(): number }

let n = 0;
async function listen(args: string[], host = '127.0.0.1'): Promise<Front> {
  const log = join(root, `upstream-${++n}.log`);
  writeFileSync(log, '');
  const proc = spawnProcess(process.execPath, [WARDEN_BIN, 'proxy', '--listen', `${host}:0`, '--otlp', receiver.url, '--spool', join(root, `spool-${n}`), ...args, '--', process.execPath, RAW_UPSTREAM], { RAW_LOG: log, WARDEN_LOG_LEVEL: 'info' });
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  const local = (url as string).replace('0.0.0.0', '127.0.0.1');
  return { proc, url: local, log, starts: () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('start ')).length };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; session: string | null }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), session: res.headers.get('mcp-session-id') };
}

test('no upstream process for a refused initialize; duplicate keys refused on the bytes', async () => {
  const front = await listen([]);
  try {
    const partial: Array<Record<string, string>> = [{ 'content-type': 'application/json' }, { accept: 'application/json, text/event-stream' }, { 'content-type': 'application/json', accept: 'text/html' }];
    for (const headers of partial) {
      const res = await post(front.url, JSON.stringify(INIT), headers);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
    }
    const dup = await post(front.url, '{"jsonrpc":"2.0","id":1,"method":"initialize","method":"tools/call","params":{}}', ACCEPT);
    assert.equal(dup.status, 400);
    assert.match(dup.text, /duplicate key \\"method\\"/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(front.starts(), 0, 'no upstream was started for a refused request');

    const ok = await post(front.url, JSON.stringify(INIT), ACCEPT);
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.session);
    assert.equal(front.starts(), 1);
    const headers = { ...ACCEPT, 'mcp-session-id': ok.session as string, 'mcp-protocol-version': '2025-06-18' };
    await post(front.url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers);
    const bad = await post(front.url, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"safe","Name":"danger","arguments":{}}}', headers);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /"id":2.*duplicate key/);
    await eventually('spans at the receiver', () => receiver.spans.some((s) => s.attributes['warden.rule'] === 'protocol' && s.name === 'tools/call safe'), { detail: () => receiver.describe() });
    assert.ok(!readFileSync(front.log, 'utf8').includes('"danger"'), 'the hostile call never reached the server');
  } finally {
    await front.proc.stop();
  }
});

test('sessions are capped per identity', async () => {
  const front = await listen(['--tokens', tokensFile, '--max-sessions-per-agent', '2']);
  const auth = { ...ACCEPT, authorization: 'Bearer ada-token' };
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(front.url, JSON.stringify(INIT), auth)).status);
    assert.deepEqual(statuses, [200, 200, 503]);
    assert.equal(front.starts(), 2, 'no upstream for the refused third');
  } finally {
    await front.proc.stop();
  }
});

test('an idle session is closed, its upstream with it', async () => {
  const front = await listen(['--tokens', tokensFile, '--session-idle', '1s']);
  const auth = { ...ACCEPT, authorization: 'Bearer ada-token' };
  try {
    const one = await post(front.url, JSON.stringify(INIT), auth);
    assert.equal(one.status, 200);
    await front.proc.waitFor(/closing an idle agent session/, 15_000);
    const gone = await post(front.url, '{"jsonrpc":"2.0","id":9,"method":"tools/list"}', { ...auth, 'mcp-session-id': one.session as string, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(gone.status, 404);
  } finally {
    await front.proc.stop();
  }
});

test('off loopback, or with a tokens file, an anonymous client is refused in audit mode too', async () => {
  const offLoopback = await listen(['--tokens', tokensFile, '--mode', 'audit'], '0.0.0.0');
  try {
    const anonymous = await post(offLoopback.url, JSON.stringify(INIT), { ...ACCEPT, host: 'warden.example' });
    assert.equal(anonymous.status, 401);
    assert.equal(offLoopback.starts(), 0);
    const known = await post(offLoopback.url, JSON.stringify(INIT), { ...ACCEPT, authorization: 'Bearer ada-token' });
    assert.equal(known.status, 200);
  } finally {
    await offLoopback.proc.stop();
  }
});
