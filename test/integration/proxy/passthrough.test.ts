import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CreateMessageRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING_SERVER, FULL_CLIENT_CAPS, MEMORY_SERVER, attrsOf, startHarness } from '../../helpers/proxy-harness.js';

describe('pass-through of everything that is not a decided call (in-process relay, real servers)', () => {
  it('server-everything: the agent\'s capabilities reach the server, and its sampling/roots requests reach the agent', async () => {
    const h = await startHarness({
      upstream: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] },
      agentId: 'a',
      clientOptions: FULL_CLIENT_CAPS,
    });
    try {
      h.client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: `sampled: ${(request.params.messages[0]?.content as { text: string }).text}` },
      }));
      h.client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
      const logs: string[] = [];
      h.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(String(n.params.level)));

      const tools = (await h.client.listTools()).tools.map((t) => t.name);
      assert.equal(tools.length, 16);
      for (const name of ['trigger-sampling-request', 'trigger-elicitation-request', 'get-roots-list']) assert.ok(tools.includes(name), name);

      const sampled = await h.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
      assert.match(JSON.stringify(sampled.content), /sampled: Resource trigger-sampling-request context: hello/);
      const roots = await h.client.callTool({ name: 'get-roots-list', arguments: {} });
      assert.match(JSON.stringify(roots.content), /file:\/\/\/work/);
      const sum = await h.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      assert.deepEqual(sum.content, [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }]);

      // Not decoded, passed through: resources, prompts, ping, logging level, completion, unknown methods.
      assert.ok((await h.client.listResources()).resources.length > 0);
      assert.ok((await h.client.listPrompts()).prompts.length > 0);
      assert.deepEqual(await h.client.ping(), {});
      await h.client.setLoggingLevel('debug');
      await assert.rejects(h.client.request({ method: 'no/such-method', params: {} }, CreateMessageRequestSchema), /-32601|not found/i);

      const spans = await h.spans();
      assert.deepEqual(spans.map((s) => s.name).sort(), ['tools/call get-roots-list', 'tools/call get-sum', 'tools/call trigger-sampling-request', 'tools/list']);
      assert.equal(attrsOf(spans, 'tools/list')[0]?.['warden.upstream'], 'mcp-servers/everything');
    } finally {
      await h.close();
    }
  });

  it('server-memory: calls go through, destructive tools are classified from annotations', async () => {
    const memoryFile = `/tmp/warden-mem-${process.pid}.jsonl`;
    const h = await startHarness({
      upstream: { command: process.execPath, args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: memoryFile } },
      agentId: 'memory-agent',
    });
    try {
      await h.client.listTools();
      await h.client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote code'] }] } });
      const graph = await h.client.callTool({ name: 'read_graph', arguments: {} });
      assert.match(JSON.stringify(graph.content), /Ada/);
      await h.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Ada'] } });
      const spans = await h.spans();
      const risk = Object.fromEntries(spans.filter((s) => s.name.startsWith('tools/call')).map((s) => [s.attributes['gen_ai.tool.name'], s.attributes['warden.tool.risk']]));
      assert.deepEqual(risk, { create_entities: 'write', read_graph: 'read', delete_entities: 'destructive' });
      assert.equal(spans[0]?.attributes['warden.upstream'], 'memory-server');
    } finally {
      await h.close();
      rmSync(memoryFile, { force: true });
    }
  });
});
