// Approvals end to end: real `warden proxy` processes (enforce mode) in front of the real
// server-memory, a real `warden serve` (embedded store) where operators decide, and MCP SDK
// clients with and without the elicitation capability.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RunningServe } from '../../../src/cli/serve-runner.js';
import { qualified } from '../../../src/storage/index.js';
import { MEMORY_SERVER } from '../../helpers/proxy-harness.js';
import { WARDEN_BIN, freePort } from '../../helpers/processes.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { startTestServe } from '../ingest/serve-helpers.js';

const TOKEN = 'approvals-test-token';
const root = mkdtempSync(join(tmpdir(), 'warden-approvals-'));
after(() => rmSync(root, { recursive: true, force: true }));

const policyFile = join(root, 'policy.json');
writeFileSync(policyFile, JSON.stringify({
  version: '1',
  default: 'allow',
  mode: 'enforce',
  tools: {
    delete_entities: { action: 'approve', reason: 'deletes memory' },
    read_graph: { action: 'approve', approver: 'user', reason: 'reads everything' },
  },
}));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ProxyAgent { client: Client; transport: StdioClientTransport; stderr(): string }

async function proxyAgent(serve: { url: string }, agent: string, opts: { clientOptions?: ClientOptions; timeout?: string } = {}): Promise<ProxyAgent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', '--policy', policyFile, '--agent', agent, '--otlp', serve.url, '--spool', join(root, `spool-${agent}`),
      '--approval-timeout', opts.timeout ?? '30s', '--', process.execPath, MEMORY_SERVER],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', WARDEN_API_TOKEN: TOKEN, MEMORY_FILE_PATH: join(root, `memory-${agent}.jsonl`) },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => void (stderr += c.toString()));
  const client = new Client({ name: `${agent}-client`, version: '1.0.0' }, opts.clientOptions);
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

function pendingFor(serve: RunningServe, agent: string) {
  return until(async () => (await serve.approvals.list({ status: 'pending', limit: 100 })).find((a) => a.agent === agent), `a pending approval for ${agent}`);
}

async function decide(serve: { url: string }, id: string, decision: 'approve' | 'deny', reason = ''): Promise<number> {
  const res = await fetch(`${serve.url}/api/v1/approvals/${id}/decision`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ decision, reason }),
  });
  await res.arrayBuffer();
  return res.status;
}

const textOf = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

async function approvalSpans(serve: RunningServe, agent: string, n: number): Promise<Array<Record<string, string>>> {
  const store = serve.queryStore;
  return until(async () => {
    const rows = await store.query<{ a: Record<string, string> }>(
      `SELECT SpanAttributes AS a FROM ${qualified(store.database, 'otel_traces')}
       WHERE SpanAttributes['gen_ai.agent.id'] = {agent:String} AND SpanAttributes['warden.decision'] != '' AND SpanName LIKE 'tools/call %'
       ORDER BY Timestamp`,
      { params: { agent } },
    );
    return rows.length >= n ? rows.map((r) => r.a) : undefined;
  }, `${n} spans of ${agent}`);
}

test('operator approves, denies; two proxies wait at once; the held call reaches the server only when approved', async () => {
  const serve = await startTestServe({ apiToken: TOKEN });
  const [p1, p2] = await Promise.all([proxyAgent(serve, 'op-one'), proxyAgent(serve, 'op-two')]);
  try {
    await p1.client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] } });
    const call1 = p1.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Ada'] } });
    const call2 = p2.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Bob'] } });
    const [a1, a2] = await Promise.all([pendingFor(serve, 'op-one'), pendingFor(serve, 'op-two')]);
    assert.equal(a1.tool, 'delete_entities');
    assert.match(a1.args, /^sha256:[0-9a-f]{64}$/, 'arguments go to serve as recorded (a hash by default)');
    assert.equal(await decide(serve, a2.id, 'deny', 'not today'), 200);
    const denied = (await call2) as CallToolResult;
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /approval required by policy: rule tools\.delete_entities: deletes memory — denied by api-token: not today/);
    assert.equal(await decide(serve, a1.id, 'approve'), 200);
    const approved = (await call1) as CallToolResult;
    assert.notEqual(approved.isError, true, textOf(approved));
    const graph = (await p1.client.callTool({ name: 'search_nodes', arguments: { query: 'Ada' } })) as CallToolResult;
    assert.ok(!textOf(graph).includes('"Ada"'), 'the approved delete ran on the server');

    const [s1] = (await approvalSpans(serve, 'op-one', 2)).filter((a) => a['gen_ai.tool.name'] === 'delete_entities');
    assert.equal(s1?.['warden.decision'], 'allow');
    assert.equal(s1?.['warden.enforced'], 'true');
    assert.equal(s1?.['warden.approval.id'], a1.id);
    assert.equal(s1?.['warden.approval.outcome'], 'approved');
    assert.equal(s1?.['warden.approval.by'], 'api-token');
    assert.ok(Number(s1?.['warden.approval.wait_ms']) > 0);
    const [s2] = await approvalSpans(serve, 'op-two', 1);
    assert.equal(s2?.['warden.decision'], 'approval_required');
    assert.equal(s2?.['warden.approval.outcome'], 'denied');
    assert.equal(s2?.['error.type'], 'policy_denied');
  } finally {
    await Promise.all([p1.client.close(), p2.client.close()]);
    await serve.close();
  }
});

test('an unanswered approval expires; the client hears progress while it waits', async () => {
  const serve = await startTestServe({ apiToken: TOKEN });
  const p = await proxyAgent(serve, 'slow-op', { timeout: '1500ms' });
  try {
    let progress = 0;
    const result = (await p.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['x'] } }, undefined, { onprogress: () => void (progress += 1) })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /expired by timeout/);
    assert.ok(progress >= 2, `progress notifications while waiting (${progress})`);
    const [span] = await approvalSpans(serve, 'slow-op', 1);
    assert.equal(span?.['warden.approval.outcome'], 'expired');
    assert.equal((await serve.approvals.list({ status: 'expired', limit: 10 })).filter((a) => a.agent === 'slow-op').length, 1);
  } finally {
    await p.client.close();
    await serve.close();
  }
});

test('approver: user asks the person at a client that supports elicitation; otherwise an operator decides', async () => {
  const serve = await startTestServe({ apiToken: TOKEN });
  const answers = [{ action: 'accept', content: { approve: true } }, { action: 'decline' }];
  const asked: string[] = [];
  const withElicit = await proxyAgent(serve, 'person', { clientOptions: { capabilities: { elicitation: {} } } });
  withElicit.client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(String(request.params.message));
    return answers.shift() as { action: 'accept' | 'decline' };
  });
  const without = await proxyAgent(serve, 'no-elicit');
  try {
    const yes = (await withElicit.client.callTool({ name: 'read_graph', arguments: {} })) as CallToolResult;
    assert.notEqual(yes.isError, true, textOf(yes));
    const no = (await withElicit.client.callTool({ name: 'read_graph', arguments: {} })) as CallToolResult;
    assert.equal(no.isError, true);
    assert.match(textOf(no), /denied by person: the person at the client answered decline/);
    assert.equal(asked.length, 2);
    assert.match(asked[0] ?? '', /agent "person" wants to call the tool "read_graph"/);

    const viaOperator = without.client.callTool({ name: 'read_graph', arguments: {} });
    const pending = await pendingFor(serve, 'no-elicit');
    assert.equal(await decide(serve, pending.id, 'approve'), 200);
    assert.notEqual(((await viaOperator) as CallToolResult).isError, true);
    const spans = await approvalSpans(serve, 'person', 2);
    assert.deepEqual(spans.map((s) => [s['warden.approval.id'], s['warden.approval.outcome']]), [['elicitation', 'approved'], ['elicitation', 'denied']]);
  } finally {
    await Promise.all([withElicit.client.close(), without.client.close()]);
    await serve.close();
  }
});

test('a serve restart during a wait loses nothing; a proxy stopped during a wait answers with an error and runs nothing', async () => {
  const port = await freePort();
  const flags = { apiToken: TOKEN, listen: `127.0.0.1:${port}`, store: testDataDir(), clickhouseDatabase: uniqueDatabase('aprr') };
  let serve = await startTestServe(flags);
  const p = await proxyAgent(serve, 'restart-op');
  try {
    const held = p.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['y'] } });
    const pending = await pendingFor(serve, 'restart-op');
    await serve.close();
    serve = await startTestServe(flags);
    assert.equal((await serve.approvals.get(pending.id))?.status, 'pending', 'still pending after the restart');
    assert.equal(await decide(serve, pending.id, 'approve'), 200);
    assert.notEqual(((await held) as CallToolResult).isError, true);

    const second = p.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['z'] } });
    await until(async () => ((await serve.approvals.list({ status: 'pending', limit: 10 })).length === 1 ? true : undefined), 'the second hold');
    const proxyPid = p.transport.pid;
    assert.ok(proxyPid);
    process.kill(proxyPid, 'SIGTERM');
    await assert.rejects(second, /the proxy stopped while the call waited for approval; it did not run/);
  } finally {
    await p.client.close().catch(() => undefined);
    await serve.close();
  }
});
