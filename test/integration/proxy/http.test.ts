import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { sha256Hex } from '../../../src/core/index.js';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { EVERYTHING_SERVER, FULL_CLIENT_CAPS } from '../../helpers/proxy-harness.js';
import { WARDEN_BIN, freePort, spawnProcess, type Spawned } from '../../helpers/processes.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-proxy-http-'));
after(() => rmSync(root, { recursive: true, force: true }));
const EXAMPLE = [process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'];
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function startListening(args: string[], upstream: string[]): Promise<{ proc: Spawned; url: string }> {
  const proc = spawnProcess(process.execPath, [WARDEN_BIN, 'proxy', '--listen', '127.0.0.1:0', ...args, '--', ...upstream]);
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  return { proc, url: url as string };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => void (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function httpClient(url: string, token?: string, name = 'http-agent') {
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : undefined);
  return { client: new Client({ name, version: '1.0.0' }), transport };
}

describe('warden proxy --listen (Streamable HTTP front)', () => {
  it('enforce: maps bearer tokens to agents, refuses others with 401, binds sessions to their agent, checks Host', async () => {
    const receiver = await OtlpReceiver.start();
    const tokens = join(root, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ agents: { 'nightly-batch': { token_sha256: sha256Hex('s3cret') }, other: { token_sha256: sha256Hex('other-token') } } }));
    const policy = join(root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', tools: { doctor: { action: 'deny', reason: 'repairs are run by operators' } } }));
    const { proc, url } = await startListening(['--tokens', tokens, '--policy', policy, '--mode', 'enforce', '--otlp', receiver.url, '--spool', join(root, 'spool')], EXAMPLE);
    const a = httpClient(url, 's3cret');
    try {
      assert.equal((await post(url, INIT)).status, 401);
      assert.equal((await post(url, INIT, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await post(url, INIT, { authorization: 'Bearer s3cret', host: 'evil.example:80' })).status, 403);

      await a.client.connect(a.transport);
      const sessionId = a.transport.sessionId as string;
      const denied = await a.client.callTool({ name: 'doctor', arguments: {} });
      assert.deepEqual(denied.content, [{ type: 'text', text: 'denied by policy: rule tools.doctor: repairs are run by operators' }]);
      const tasks = await a.client.callTool({ name: 'task_list', arguments: { project: 'warden' } });
      assert.match(JSON.stringify(tasks.content), /Ship the proxy/);

      const hijack = await post(url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { authorization: 'Bearer other-token', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(hijack.status, 404, 'another agent cannot use this session');

      await a.client.close();
      await eventually('spans at the receiver', () => receiver.spans.some((x) => x.name === 'tools/call task_list'), { detail: () => receiver.describe() });
      const span = receiver.named('tools/call task_list')[0];
      assert.equal(span?.attributes['gen_ai.agent.id'], 'nightly-batch');
      assert.equal(span?.attributes['network.transport'], 'tcp');
      assert.equal(span?.attributes['mcp.session.id'], sessionId);
      assert.equal(span?.attributes['warden.upstream'], 'total-recall-example');
      assert.equal(receiver.named('tools/call doctor')[0]?.attributes['error.type'], 'policy_denied');
    } finally {
      await proc.stop();
      await receiver.down();
    }
  });

  it('audit: without a token the client\'s clientInfo.name is the agent', async () => {
    const receiver = await OtlpReceiver.start();
    const { proc, url } = await startListening(['--otlp', receiver.url, '--spool', join(root, 'spool-audit')], EXAMPLE);
    const a = httpClient(url, undefined, 'cursor-agent');
    try {
      await a.client.connect(a.transport);
      await a.client.callTool({ name: 'load_context', arguments: { message: 'hello' } });
      await a.client.close();
      await eventually('spans at the receiver', () => receiver.spans.some((x) => x.name === 'tools/call load_context'), { detail: () => receiver.describe() });
      assert.equal(receiver.named('tools/call load_context')[0]?.attributes['gen_ai.agent.id'], 'cursor-agent');
    } finally {
      await proc.stop();
      await receiver.down();
    }
  });

  it('--upstream-url: relays a Streamable HTTP server-everything with the agent\'s capabilities and its sampling requests', async () => {
    const port = await freePort();
    const everything = spawnProcess(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], { PORT: String(port) });
    await everything.waitFor(/listening on port/);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [WARDEN_BIN, 'proxy', '--agent', 'a', '--otlp', 'http://127.0.0.1:9', '--spool', join(root, 'spool-up'), '--upstream-url', `http://127.0.0.1:${port}/mcp`],
      stderr: 'ignore',
    });
    const client = new Client({ name: 'caps', version: '1.0.0' }, FULL_CLIENT_CAPS);
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled over http' } }));
    try {
      await client.connect(transport);
      assert.equal((await client.listTools()).tools.length, 16);
      const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
      assert.match(JSON.stringify(sampled.content), /sampled over http/);
      assert.deepEqual((await client.callTool({ name: 'echo', arguments: { message: 'x' } })).content, [{ type: 'text', text: 'Echo: x' }]);
    } finally {
      await client.close();
      await everything.stop();
    }
  });
});
