import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { canonicalJson, sha256Hex } from '../../../src/core/index.js';
import { createTotalRecallServer, TotalRecallStore } from '../../../examples/total-recall/index.js';
import { attrsOf, startHarness } from '../../helpers/proxy-harness.js';

const POLICY = JSON.stringify({
  version: '1',
  default: 'allow',
  hide: ['forget'],
  tools: {
    doctor: { action: 'deny', reason: 'repairs are run by operators' },
    session_start: { limits: [{ counter: 'starts', window: 'minute', max: 2 }] },
    export_knowledge: { action: 'approve', reason: 'exports the whole knowledge base' },
  },
});

describe('relay: tools/call and tools/list through the proxy (in-process, example server)', () => {
  it('passes calls through and records one span per call with the span contract', async () => {
    const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'agent-1' });
    try {
      assert.equal(h.client.getServerVersion()?.name, 'total-recall-example');
      const listed = await h.client.listTools();
      assert.equal(listed.tools.length, 10);
      const args = { message: 'build with npm', project: 'warden' };
      const result = await h.client.callTool({ name: 'load_context', arguments: args });
      assert.equal(result.isError, undefined);
      assert.match(JSON.stringify(result.content), /npm test/);

      const spans = await h.spans();
      const call = spans.find((s) => s.name === 'tools/call load_context');
      assert.ok(call);
      assert.equal(call.kind, SpanKind.SERVER);
      assert.equal(call.resource.attributes['service.name'], 'warden-proxy');
      const canonical = canonicalJson(args);
      assert.deepEqual({ ...call.attributes }, {
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'load_context',
        'gen_ai.agent.id': 'agent-1',
        'mcp.session.id': 'test-session',
        'jsonrpc.request.id': '2',
        'mcp.protocol.version': '2025-11-25',
        'network.transport': 'pipe',
        'warden.decision': 'allow',
        'warden.enforced': true,
        'warden.mode': 'audit',
        'warden.rule': 'default',
        'warden.reason': 'allowed by default',
        'warden.policy.hash': h.policy.hash,
        'warden.tool.risk': 'read',
        'warden.args.hash': sha256Hex(canonical),
        'warden.args.bytes': Buffer.byteLength(canonical),
        'warden.upstream': 'total-recall-example',
      });
      assert.equal(call.status.code, SpanStatusCode.UNSET);

      const [list] = attrsOf(spans, 'tools/list');
      assert.equal(list?.['mcp.method.name'], 'tools/list');
      const inventory = JSON.parse(String(list?.['warden.tools'])) as Array<{ name: string; risk: string; annotations: Record<string, unknown> }>;
      assert.equal(inventory.length, 10);
      assert.deepEqual(inventory.find((t) => t.name === 'forget')?.risk, 'destructive');
      assert.deepEqual(inventory.find((t) => t.name === 'task_list')?.risk, 'read');
      assert.equal(inventory.find((t) => t.name === 'sync')?.annotations.openWorldHint, true);
    } finally {
      await h.close();
    }
  });

  it('marks an upstream isError result as error.type=tool_error', async () => {
    const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'a' });
    try {
      const result = await h.client.callTool({ name: 'session_close', arguments: { session_id: 'nope' } });
      assert.equal(result.isError, true);
      const span = (await h.spans()).find((s) => s.name === 'tools/call session_close');
      assert.equal(span?.attributes['error.type'], 'tool_error');
      assert.equal(span?.status.code, SpanStatusCode.ERROR);
      assert.equal(span?.status.message, 'unknown session nope');
    } finally {
      await h.close();
    }
  });

  it('enforce: refuses denied calls with a readable tool error and never forwards them', async () => {
    const store = new TotalRecallStore();
    const before = store.activeKnowledge().length;
    const h = await startHarness({ upstream: createTotalRecallServer(store), agentId: 'a', policyText: POLICY, mode: 'enforce' });
    try {
      const denied = await h.client.callTool({ name: 'doctor', arguments: { repair: true } });
      assert.deepEqual(denied, { isError: true, content: [{ type: 'text', text: 'denied by policy: rule tools.doctor: repairs are run by operators' }] });
      const entry = store.activeKnowledge()[0];
      const hidden = await h.client.callTool({ name: 'forget', arguments: { entry_id: entry?.id } });
      assert.equal(hidden.isError, true);
      assert.match(JSON.stringify(hidden.content), /denied by policy: rule hide/);
      assert.equal(store.activeKnowledge().length, before, 'forget never reached the server');
      const approval = await h.client.callTool({ name: 'export_knowledge', arguments: {} });
      assert.match(JSON.stringify(approval.content), /approval required by policy: rule tools.export_knowledge: exports the whole knowledge base/);

      const spans = await h.spans();
      const doctor = spans.find((s) => s.name === 'tools/call doctor');
      assert.equal(doctor?.attributes['warden.decision'], 'deny');
      assert.equal(doctor?.attributes['warden.enforced'], true);
      assert.equal(doctor?.attributes['warden.mode'], 'enforce');
      assert.equal(doctor?.attributes['error.type'], 'policy_denied');
      assert.equal(doctor?.attributes['warden.rule'], 'tools.doctor');
    } finally {
      await h.close();
    }
  });

  it('enforce: rate limits say when to retry; audit records the same decisions and blocks nothing', async () => {
    for (const mode of ['enforce', 'audit'] as const) {
      const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'a', policyText: POLICY, mode });
      try {
        await h.client.callTool({ name: 'session_start', arguments: {} });
        await h.client.callTool({ name: 'session_start', arguments: {} });
        const third = await h.client.callTool({ name: 'session_start', arguments: {} });
        const starts = (await h.spans()).filter((s) => s.name === 'tools/call session_start');
        assert.deepEqual(starts.map((s) => s.attributes['warden.decision']), ['allow', 'allow', 'rate_limited']);
        const limited = starts[2]?.attributes;
        assert.equal(limited?.['warden.limit.counter'], 'starts');
        assert.equal(limited?.['warden.limit.max'], 2);
        assert.equal(limited?.['warden.limit.window_s'], 60);
        if (mode === 'enforce') {
          assert.equal(third.isError, true);
          assert.match(JSON.stringify(third.content), /rate limited by policy: rule tools\.session_start\.limits\[0\]: 2 calls per minute .*retry in \d+[smh]/);
          assert.equal(limited?.['error.type'], 'policy_denied');
        } else {
          assert.equal(third.isError, undefined, 'audit forwards the call');
          assert.match(JSON.stringify(third.content), /session_id/);
          assert.equal(limited?.['warden.enforced'], false);
          assert.equal(limited?.['error.type'], undefined);
        }
      } finally {
        await h.close();
      }
    }
  });

  it('hidden tools vanish from tools/list in enforce mode only', async () => {
    for (const [mode, expected] of [['enforce', 9], ['audit', 10]] as const) {
      const h = await startHarness({ upstream: createTotalRecallServer(), agentId: 'a', policyText: POLICY, mode });
      try {
        const names = (await h.client.listTools()).tools.map((t) => t.name);
        assert.equal(names.length, expected);
        assert.equal(names.includes('forget'), mode === 'audit');
        const [list] = attrsOf(await h.spans(), 'tools/list');
        const inventory = JSON.parse(String(list?.['warden.tools'])) as Array<{ name: string; hidden?: boolean }>;
        assert.equal(inventory.length, 10, 'the span records everything the server offers');
        assert.equal(inventory.find((t) => t.name === 'forget')?.hidden, true);
      } finally {
        await h.close();
      }
    }
  });

  it('takes the mode from the policy file when --mode is absent, and the agent from clientInfo without --agent', async () => {
    const h = await startHarness({ upstream: createTotalRecallServer(), policyText: JSON.stringify({ ...JSON.parse(POLICY), mode: 'enforce' }), clientName: 'claude-desktop' });
    try {
      assert.equal(h.policy.mode, 'enforce');
      const denied = await h.client.callTool({ name: 'doctor', arguments: {} });
      assert.equal(denied.isError, true);
      const span = (await h.spans()).find((s) => s.name === 'tools/call doctor');
      assert.equal(span?.attributes['gen_ai.agent.id'], 'claude-desktop');
    } finally {
      await h.close();
    }
  });
});
