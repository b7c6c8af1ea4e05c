import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qualified, Tables } from '../../../src/storage/index.js';
import { openTestStore } from '../../helpers/store.js';

function span(over: Record<string, unknown>, attrs: Record<string, string>) {
  return {
    Timestamp: '2026-11-25 10:00:00.000000000',
    TraceId: 'a'.repeat(32),
    SpanId: 'b'.repeat(16),
    SpanName: 'tools/call session_close',
    SpanKind: 'Server',
    ServiceName: 'warden-proxy',
    SpanAttributes: attrs,
    Duration: 1_500_000,
    StatusCode: 'Unset',
    ...over,
  };
}

test('tool_calls, the rollup and the inventory fill from otel_traces; a redelivered span counts once', async () => {
  const store = await openTestStore();
  try {
    const call = span({}, {
      'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'session_close', 'gen_ai.agent.id': 'runaway',
      'warden.decision': 'rate_limited', 'warden.enforced': 'false', 'warden.mode': 'audit', 'warden.tool.risk': 'write',
      'mcp.session.id': 's1', 'warden.args.bytes': '42',
    });
    const foreign = span({ SpanId: 'c'.repeat(16), ServiceName: 'some-mcp-server', StatusCode: 'Error' }, {
      'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'search', 'enduser.id': 'alice', 'error.type': '-32603',
    });
    const list = span({ SpanId: 'd'.repeat(16), SpanName: 'tools/list' }, {
      'mcp.method.name': 'tools/list', 'warden.upstream': 'total-recall',
      'warden.tools': JSON.stringify([{ name: 'forget', risk: 'destructive', annotations: { destructiveHint: true } }, { name: 'load_context', risk: 'read' }]),
    });
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [call, foreign, list]);
    await store.insertJsonEachRow(Tables.OTEL_TRACES, [call]); // redelivery in a later batch

    const rows = await store.query<Record<string, unknown>>(
      `SELECT agent, tool, decision, enforced, mode, risk, session, is_error, error_type, args_bytes, upstream
       FROM ${qualified(store.database, Tables.TOOL_CALLS)} FINAL ORDER BY agent`,
    );
    assert.deepEqual(rows, [
      { agent: 'alice', tool: 'search', decision: 'allow', enforced: true, mode: '', risk: '', session: '', is_error: true, error_type: '-32603', args_bytes: 0, upstream: 'some-mcp-server' },
      { agent: 'runaway', tool: 'session_close', decision: 'rate_limited', enforced: false, mode: 'audit', risk: 'write', session: 's1', is_error: false, error_type: '', args_bytes: 42, upstream: 'warden-proxy' },
    ]);
    const rollup = await store.query<{ agent: string; calls: number; errors: number }>(
      `SELECT agent, uniqExactMerge(calls) AS calls, uniqExactIfMerge(errors) AS errors FROM ${qualified(store.database, Tables.TOOL_CALLS_1M)} GROUP BY agent ORDER BY agent`,
    );
    assert.deepEqual(rollup, [{ agent: 'alice', calls: 1, errors: 1 }, { agent: 'runaway', calls: 1, errors: 0 }]);
    const inventory = await store.query<{ upstream: string; tool: string; risk: string }>(
      `SELECT upstream, tool, anyLast(risk) AS risk FROM ${qualified(store.database, Tables.TOOL_INVENTORY)} GROUP BY upstream, tool ORDER BY tool`,
    );
    assert.deepEqual(inventory, [
      { upstream: 'total-recall', tool: 'forget', risk: 'destructive' },
      { upstream: 'total-recall', tool: 'load_context', risk: 'read' },
    ]);
  } finally {
    await store.close();
  }
});
