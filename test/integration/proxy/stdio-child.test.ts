import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { canonicalJson, sha256Hex } from '../../../src/core/index.js';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { MEMORY_SERVER } from '../../helpers/proxy-harness.js';
import { WARDEN_BIN } from '../../helpers/processes.js';
import { eventually } from '../../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-proxy-it-'));
after(() => rmSync(root, { recursive: true, force: true }));

function proxyClient(args: string[], upstream: string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', ...args, '--', ...upstream],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => void (stderr += c.toString()));
  return { client: new Client({ name: 'it-client', version: '1.0.0' }), transport, stderr: () => stderr };
}

describe('warden proxy as a child process (stdio ↔ stdio), spans to a local OTLP receiver', () => {
  it('relays server-memory and exports the exact spans; a clean close flushes spans and ends the upstream', async () => {
    const receiver = await OtlpReceiver.start();
    const marker = `warden-it-${process.pid}-${Date.now()}`;
    const policy = join(root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', tools: { delete_entities: { action: 'deny', reason: 'no deletes' } } }));
    const { client, transport } = proxyClient(
      ['--otlp', receiver.url, '--spool', join(root, 'spool-1'), '--agent', 'nightly-batch', '--policy', policy, '--record-args', 'redacted'],
      [process.execPath, MEMORY_SERVER, marker],
      { MEMORY_FILE_PATH: join(root, 'memory.jsonl') },
    );
    try {
      await client.connect(transport);
      assert.equal((await client.listTools()).tools.length, 9);
      const args = { entities: [{ name: 'Ada', entityType: 'person', observations: ['email ada@example.com', 'token sk-abcdefghijklmnopqrstuvwx'] }] };
      await client.callTool({ name: 'create_entities', arguments: args });
      const audited = await client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Ada'] } });
      assert.equal(audited.isError, undefined, 'audit mode forwards a would-be denial');
    } finally {
      await client.close();
    }
    await eventually('spans at the receiver', () => receiver.spans.length >= 3, { detail: () => receiver.describe() });
    await receiver.down();
    assert.equal(execFileSync('ps', ['-eo', 'args']).toString().includes(marker), false, 'the upstream child has ended');

    const create = receiver.named('tools/call create_entities')[0];
    assert.ok(create);
    assert.equal(create.kind, 'Server');
    assert.equal(create.resource['service.name'], 'warden-proxy');
    const canonical = canonicalJson({ entities: [{ name: 'Ada', entityType: 'person', observations: ['email ada@example.com', 'token sk-abcdefghijklmnopqrstuvwx'] }] });
    const { 'mcp.session.id': sessionId, 'warden.policy.hash': policyHash, ...stable } = create.attributes;
    assert.match(String(sessionId), /^[0-9a-f-]{36}$/);
    assert.match(String(policyHash), /^[0-9a-f]{64}$/);
    assert.deepEqual(stable, {
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'create_entities',
      'gen_ai.agent.id': 'nightly-batch',
      'jsonrpc.request.id': '2',
      'mcp.protocol.version': '2025-11-25',
      'network.transport': 'pipe',
      'warden.decision': 'allow',
      'warden.enforced': 'true',
      'warden.mode': 'audit',
      'warden.rule': 'default',
      'warden.reason': 'allowed by default',
      'warden.tool.risk': 'write',
      'warden.args.hash': sha256Hex(canonical),
      'warden.args.bytes': String(Buffer.byteLength(canonical)),
      'warden.args': '{"entities":[{"entityType":"person","name":"Ada","observations":["email [EMAIL]","[REDACTED]"]}]}',
      'warden.upstream': 'memory-server',
    });
    const del = receiver.named('tools/call delete_entities')[0];
    assert.equal(del?.attributes['warden.decision'], 'deny');
    assert.equal(del?.attributes['warden.enforced'], 'false');
    assert.equal(del?.attributes['warden.rule'], 'tools.delete_entities');
    assert.equal(del?.attributes['warden.tool.risk'], 'destructive');
    assert.equal(del?.attributes['error.type'], undefined);
    const list = receiver.named('tools/list')[0];
    assert.equal((JSON.parse(String(list?.attributes['warden.tools'])) as unknown[]).length, 9);
  });

  it('spools spans while the endpoint is down and delivers each exactly once when it returns', async () => {
    const receiver = await OtlpReceiver.start();
    await receiver.down();
    const spoolDir = join(root, 'spool-2');
    const { client, transport } = proxyClient(['--otlp', receiver.url, '--spool', spoolDir, '--agent', 'a'], [process.execPath, MEMORY_SERVER], {
      MEMORY_FILE_PATH: join(root, 'memory-2.jsonl'),
    });
    try {
      await client.connect(transport);
      await client.listTools();
      for (let i = 0; i < 3; i++) {
        const result = await client.callTool({ name: 'read_graph', arguments: {} });
        assert.equal(result.isError, undefined, 'calls succeed while telemetry is down');
      }
      await eventually('spans spooled while telemetry is down', () => readdirSync(spoolDir).some((n) => n.endsWith('.otlp')), { intervalMs: 50 });
      await receiver.up();
      await eventually('spans at the receiver', () => receiver.spans.length >= 4, { detail: () => receiver.describe() });
      await client.callTool({ name: 'search_nodes', arguments: { query: 'x' } });
    } finally {
      await client.close();
    }
    await eventually('spans at the receiver', () => receiver.spans.length >= 5, { detail: () => receiver.describe() });
    await new Promise((r) => setTimeout(r, 200));
    await receiver.down();
    assert.equal(receiver.spans.length, 5);
    assert.equal(new Set(receiver.spans.map((s) => s.spanId)).size, 5, 'each span exactly once');
    assert.deepEqual(readdirSync(spoolDir).filter((n) => n.includes('.otlp')), []);
  });

  it('SIGHUP reloads the policy; a bad file is rejected with the reason on stderr and the old policy stays', async () => {
    const receiver = await OtlpReceiver.start();
    const policy = join(root, 'reload.json');
    writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', mode: 'enforce' }));
    const { client, transport, stderr } = proxyClient(
      ['--otlp', receiver.url, '--spool', join(root, 'spool-3'), '--agent', 'a', '--policy', policy],
      [process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'],
      { WARDEN_LOG_LEVEL: 'info' },
    );
    const waitStderr = (pattern: RegExp) => eventually(`${pattern} on stderr`, () => pattern.test(stderr()), { detail: () => stderr() });
    try {
      await client.connect(transport);
      assert.equal((await client.callTool({ name: 'doctor', arguments: {} })).isError, undefined);
      writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', mode: 'enforce', tools: { doctor: { action: 'deny', reason: 'repairs are run by operators' } } }));
      process.kill(transport.pid as number, 'SIGHUP');
      await waitStderr(/policy reloaded/);
      const denied = await client.callTool({ name: 'doctor', arguments: {} });
      assert.deepEqual(denied.content, [{ type: 'text', text: 'denied by policy: rule tools.doctor: repairs are run by operators' }]);
      writeFileSync(policy, '{"version": "1", "default": "allow", "tools": {"doctor": {"action": "explode"}}}');
      process.kill(transport.pid as number, 'SIGHUP');
      await waitStderr(/policy reload rejected \(SIGHUP\); keeping the previous policy.*tools\.doctor\.action/);
      assert.equal((await client.callTool({ name: 'doctor', arguments: {} })).isError, true);
    } finally {
      await client.close();
    }
    await eventually('spans at the receiver', () => receiver.spans.filter((x) => x.name === 'warden.policy.reload').length >= 2, { detail: () => receiver.describe() });
    await receiver.down();
    // The file watcher may see the same change as SIGHUP; a rejection can then be reported twice.
    const events = receiver.named('warden.policy.reload').map((s) => s.events[0]?.name);
    assert.equal(events[0], 'warden.policy.reloaded');
    assert.ok(events.length >= 2 && events.slice(1).every((e) => e === 'warden.policy.reload_rejected'), events.join());
  });
});
