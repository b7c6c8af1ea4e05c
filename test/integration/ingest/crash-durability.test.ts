// Trust rule 6, attacked the way a crash would: real `warden proxy` processes (with --spool)
// stream tools/call spans into a real `warden serve` child that is SIGKILLed at random
// moments (during start-up and WAL replay too) and restarted on the same store; at the end
// one proxy gets SIGTERM and the other its stdin closed. Every call made must be in the
// record exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ChdbDriver, Tables, qualified } from '../../../src/storage/index.js';
import { WARDEN_BIN, freePort, spawnProcess, type Spawned } from '../../helpers/processes.js';

const KILLS = 3;
const AGENTS = ['crash-a', 'crash-b'];

function startServe(dir: string, port: number): Spawned {
  return spawnProcess(process.execPath, [WARDEN_BIN, 'serve', '--store', dir, '--listen', `127.0.0.1:${port}`], { WARDEN_LOG_LEVEL: 'warn' });
}

/** One agent: a real proxy in front of the example server, calling a tool until told to stop. */
async function agentLoop(agent: string, port: number, spool: string, running: () => boolean): Promise<{ client: Client; transport: StdioClientTransport; calls: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', '--agent', agent, '--otlp', `http://127.0.0.1:${port}`, '--spool', spool,
      '--', process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'error' },
    stderr: 'pipe',
  });
  const client = new Client({ name: `${agent}-client`, version: '1.0.0' });
  await client.connect(transport);
  let calls = 0;
  while (running()) {
    calls += 1; // every tools/call the proxy forwards has exactly one span, whatever the tool answers
    await client.callTool({ name: 'task_list', arguments: {} }).catch(() => undefined);
  }
  return { client, transport, calls };
}

const spoolEmpty = (dir: string) => !readdirSync(dir, { withFileTypes: true }).some((e) => e.name.includes('.otlp'));

test('SIGKILL of serve at random moments loses no acknowledged span and double counts none', { timeout: 150_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-crash-'));
  const store = join(root, 'store');
  const port = await freePort();
  let serve = startServe(store, port);
  let calling = true;
  const spools = AGENTS.map((a) => join(root, `spool-${a}`));
  try {
    await serve.waitFor(/listening on/, 60_000);
    const agents = AGENTS.map((a, i) => agentLoop(a, port, spools[i] as string, () => calling));
    const kills: string[] = [];
    const killAndRestart = async (what: string) => {
      kills.push(what);
      await serve.stop('SIGKILL');
      serve = startServe(store, port);
    };
    for (let k = 0; k < KILLS; k++) {
      await serve.waitFor(/listening on/, 60_000);
      const delay = 300 + Math.floor(Math.random() * 1200);
      await sleep(delay);
      await killAndRestart(`${delay} ms after listening`);
      if (k === 1) {
        // Once during start-up: the WAL left by the last kill may be mid-replay.
        const early = 100 + Math.floor(Math.random() * 900);
        await sleep(early);
        await killAndRestart(`${early} ms after spawn`);
      }
    }
    await serve.waitFor(/listening on/, 60_000);
    await sleep(1000);
    calling = false;
    const results = await Promise.all(agents);
    // What serve missed while down is in the proxies' spools: wait for them to deliver it.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !spools.every(spoolEmpty)) await sleep(200);
    // One proxy is stopped with SIGTERM, the other by closing its stdin: both export what they hold first.
    const [first, second] = results as [Awaited<(typeof agents)[0]>, Awaited<(typeof agents)[0]>];
    const terminated = new Promise((resolve) => first.transport.onclose = () => resolve(undefined));
    process.kill(first.transport.pid as number, 'SIGTERM');
    await terminated;
    await second.client.close();
    assert.ok(spools.every(spoolEmpty), 'the proxies delivered their spools');
    assert.equal(await serve.stop('SIGTERM'), 0, serve.stderr());

    const made = results.reduce((n, r) => n + r.calls, 0);
    const db = await ChdbDriver.open({ path: store, database: 'warden' });
    try {
      const [calls] = await db.query<{ rows: number; spans: number }>(
        `SELECT count() AS rows, uniqExact(span_id) AS spans FROM ${qualified('warden', Tables.TOOL_CALLS)} FINAL WHERE agent IN {agents:Array(String)}`,
        { params: { agents: AGENTS } },
      );
      const [traces] = await db.query<{ spans: number }>(
        `SELECT uniqExact(SpanId) AS spans FROM ${qualified('warden', Tables.OTEL_TRACES)} WHERE SpanAttributes['gen_ai.agent.id'] IN {agents:Array(String)}`,
        { params: { agents: AGENTS } },
      );
      const context = `kills ${kills.join('; ')}; ${made} calls made`;
      assert.ok(made > 500, `enough traffic to test anything (${context})`);
      assert.equal(calls?.spans, made, `distinct span ids in tool_calls (${context})`);
      assert.equal(calls?.rows, made, `rows of tool_calls FINAL (${context})`);
      assert.equal(traces?.spans, made, `distinct span ids in otel_traces (${context})`);
    } finally {
      await db.close();
    }
  } finally {
    calling = false;
    await serve.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});
