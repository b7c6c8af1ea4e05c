import assert from 'node:assert/strict';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { PolicyState, startStdioProxy, upstreamFactory } from '../../../src/proxy/index.js';
import { createTelemetry } from '../../../src/telemetry/index.js';
import { FAULT_SERVER, startHarness } from '../../helpers/proxy-harness.js';

const faultServer = { command: process.execPath, args: ['--import', 'tsx', FAULT_SERVER] };

describe('proxy faults (in-process relay, real child upstream)', () => {
  it('cuts an upstream that never answers at the timeout, with a span marked upstream_error', async () => {
    const h = await startHarness({ upstream: faultServer, agentId: 'a', timeoutMs: 2000 });
    try {
      const started = Date.now();
      await assert.rejects(h.client.callTool({ name: 'hang', arguments: {} }), (error: unknown) => {
        assert.ok(error instanceof McpError);
        assert.equal(error.code, -32001);
        assert.match(error.message, /did not answer tools\/call within 2s/);
        return true;
      });
      assert.ok(Date.now() - started < 5000);
      const echo = await h.client.callTool({ name: 'echo', arguments: { message: 'still up' } });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'echo: still up' }]);
      const span = (await h.spans()).find((s) => s.name === 'tools/call hang');
      assert.equal(span?.attributes['error.type'], 'upstream_error');
    } finally {
      await h.close();
    }
  });

  it('waits for a server that is slow to start past --timeout (initialize gets at least a minute), then cuts calls at --timeout', async () => {
    // The upstream process loads the fault server only after 1.5 s, longer than the 1 s timeout.
    const slowStart = { command: process.execPath, args: ['--import', 'tsx', '-e', `setTimeout(() => import(${JSON.stringify(resolve(FAULT_SERVER))}), 1500)`] };
    const h = await startHarness({ upstream: slowStart, agentId: 'a', timeoutMs: 1000 });
    try {
      const echo = await h.client.callTool({ name: 'echo', arguments: { message: 'started' } });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'echo: started' }]);
      await assert.rejects(h.client.callTool({ name: 'hang', arguments: {} }), /did not answer tools\/call within 1s/);
    } finally {
      await h.close();
    }
  });

  it('lets a call that reports progress run past the timeout, and still cuts one that goes quiet', async () => {
    const h = await startHarness({ upstream: faultServer, agentId: 'a', timeoutMs: 2000 });
    try {
      const progress: number[] = [];
      // 5 steps of 700 ms: 3.5 s in all, never 2 s without news.
      const result = await h.client.callTool({ name: 'slow_progress', arguments: { steps: 5, every_ms: 700 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
        timeout: 10_000,
      });
      assert.deepEqual(result.content, [{ type: 'text', text: 'done after 5 steps' }]);
      // The SDK client may settle the call before it hands over the last notification.
      assert.deepEqual(progress.slice(0, 4), [1, 2, 3, 4]);
      const started = Date.now();
      await assert.rejects(h.client.callTool({ name: 'slow_progress', arguments: { steps: 1, every_ms: 5000 } }, undefined, { onprogress: () => {}, timeout: 10_000 }), /did not answer tools\/call within 2s/);
      assert.ok(Date.now() - started < 3500, `cut after ${Date.now() - started} ms`);
    } finally {
      await h.close();
    }
  });

  it('answers a call in flight when the upstream crashes, and every later request, with a clear error', async () => {
    const h = await startHarness({ upstream: faultServer, agentId: 'a' });
    try {
      await assert.rejects(h.client.callTool({ name: 'crash', arguments: {} }), /upstream MCP server fault-server has exited/);
      await assert.rejects(h.client.callTool({ name: 'echo', arguments: { message: 'x' } }), /has exited or closed the connection/);
      const spans = await h.spans();
      assert.equal(spans.find((s) => s.name === 'tools/call crash')?.attributes['error.type'], 'upstream_error');
      assert.equal(spans.find((s) => s.name === 'tools/call echo')?.attributes['error.type'], 'upstream_error');
    } finally {
      await h.close();
    }
  });

  it('keeps the session up when the upstream prints a non-JSON line', async () => {
    const h = await startHarness({ upstream: faultServer, agentId: 'a' });
    try {
      const result = await h.client.callTool({ name: 'garbage', arguments: {} });
      assert.deepEqual(result.content, [{ type: 'text', text: 'after garbage' }]);
      const echo = await h.client.callTool({ name: 'echo', arguments: { message: 'ok' } });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'echo: ok' }]);
    } finally {
      await h.close();
    }
  });

  it('answers malformed JSON-RPC from the agent with the spec error and id null, then keeps serving', async () => {
    const telemetry = createTelemetry({ recordArgs: 'hash', logger: silentLogger, exporter: new InMemorySpanExporter() });
    const policy = await PolicyState.load({ file: undefined, modeOverride: undefined, recorder: telemetry.recorder, logger: silentLogger });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const lines: Array<Record<string, unknown>> = [];
    let buffered = '';
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
        buffered = buffered.slice(nl + 1);
      }
    });
    const proxy = await startStdioProxy(
      { policy, recorder: telemetry.recorder, upstream: upstreamFactory({ kind: 'stdio', ...faultServer, env: { PATH: process.env.PATH ?? '' } }), clock: systemClock, logger: silentLogger, timeoutMs: 5000, agentId: 'a' },
      { stdin, stdout },
    );
    const waitLines = async (n: number) => {
      while (lines.length < n) await once(stdout, 'data');
    };
    try {
      stdin.write('this is not json\n');
      await waitLines(1);
      assert.deepEqual(lines[0], { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the message is not valid JSON' } });
      stdin.write('{"jsonrpc":"2.0","id":7}\n');
      await waitLines(2);
      assert.equal((lines[1]?.error as { code: number }).code, -32600);
      assert.equal(lines[1]?.id, null);
      stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) + '\n');
      await waitLines(3);
      assert.equal(((lines[2]?.result as { serverInfo: { name: string } }).serverInfo).name, 'fault-server');
      stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 'ping-1', method: 'ping' }) + '\n');
      await waitLines(4);
      assert.deepEqual(lines[3], { jsonrpc: '2.0', id: 'ping-1', result: {} });
    } finally {
      stdin.end();
      await proxy.done;
      await telemetry.recorder.shutdown();
    }
  });

  it('refuses to start when the upstream command cannot be run, saying which one', async () => {
    const telemetry = createTelemetry({ recordArgs: 'hash', logger: silentLogger, exporter: new InMemorySpanExporter() });
    const policy = await PolicyState.load({ file: undefined, modeOverride: undefined, recorder: telemetry.recorder, logger: silentLogger });
    const missing = { kind: 'stdio' as const, command: '/nonexistent/mcp-server', args: ['--stdio'], env: { PATH: process.env.PATH ?? '' } };
    try {
      await assert.rejects(
        startStdioProxy(
          { policy, recorder: telemetry.recorder, upstream: upstreamFactory(missing), clock: systemClock, logger: silentLogger, timeoutMs: 5000, agentId: 'a' },
          { stdin: new PassThrough(), stdout: new PassThrough() },
        ),
        /could not start the upstream MCP server "\/nonexistent\/mcp-server --stdio": spawn \/nonexistent\/mcp-server ENOENT/,
      );
    } finally {
      await telemetry.recorder.shutdown();
    }
  });
});
