// A property test of trust rules 1 and 2 on the relay, byte level on both sides: random
// sequences of valid and hostile messages (duplicate and folded keys, reused ids, tools/call
// notifications, a second initialize), in audit and in enforce mode. After each sequence:
// (a) the tools/call lines the upstream received == the calls recorded as forwarded, and
// (b) no forwarded line reads as a different tool under first-key, last-key or
//     case-insensitive reading (and in enforce mode never as the denied tool).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { McpRelay, NdjsonStreamTransport, PolicyState } from '../../../src/proxy/index.js';
import { NetworkTransport, createTelemetry } from '../../../src/telemetry/index.js';
import { prng } from '../../../examples/workload/generate.js';

const TOOLS = ['safe', 'danger', 'slow'];

function hostileSequence(rand: () => number, length: number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const lines: string[] = [];
  let nextId = 1;
  for (let i = 0; i < length; i++) {
    const id = rand() < 0.25 && nextId > 1 ? Math.max(1, nextId - 1 - Math.floor(rand() * 3)) : nextId++;
    const [a, b] = [pick(TOOLS), pick(TOOLS)];
    const kind = Math.floor(rand() * 8);
    if (kind === 0) lines.push(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${a}","arguments":{},"name":"${b}"}}`);
    else if (kind === 1) lines.push(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${a}","${pick(['Name', 'NAME', 'ｎａｍｅ', 'na\\u006De'])}":"${b}","arguments":{}}}`);
    else if (kind === 2) lines.push(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"${a}","arguments":{}}}`);
    else if (kind === 3) lines.push(`{"jsonrpc":"2.0","id":"init-${i}","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`);
    else if (kind === 4) lines.push(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","method":"tools/list","params":{"name":"${a}","arguments":{}}}`);
    else lines.push(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${a}","arguments":{"q":"${pick(['x', 'y'])}"}}}`);
  }
  return lines;
}

/** Every value of a "name" key in the line's params, in order, matching the key case-insensitively. */
function namesOf(line: string): string[] {
  const params = line.slice(line.indexOf('"params"'));
  return [...params.matchAll(/"([^"]*)"\s*:\s*"([^"]*)"/g)].filter((m) => (m[1] as string).normalize('NFKC').toLowerCase() === 'name').map((m) => m[2] as string);
}

async function runSequence(mode: 'audit' | 'enforce', lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-prop-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ version: '1', default: 'allow', tools: { danger: { action: 'deny', reason: 'never' } } }));
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({ recordArgs: 'hash', logger: silentLogger, exporter });
  const policy = await PolicyState.load({ file: policyFile, modeOverride: mode, recorder: telemetry.recorder, logger: silentLogger });
  const [agentIn, agentOut, upIn, upOut] = [new PassThrough(), new PassThrough(), new PassThrough(), new PassThrough()];
  const received: string[] = [];
  let pendingAnswers = 0;
  let buffer = '';
  upIn.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      received.push(line);
      const message = JSON.parse(line) as { id?: unknown; method?: string; params?: { name?: string } };
      if (message.id === undefined) continue;
      const result = message.method === 'initialize' ? { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'bytes', version: '1' } } : { content: [] };
      pendingAnswers++;
      setTimeout(() => {
        pendingAnswers--;
        upOut.write(`${JSON.stringify({ jsonrpc: '2.0', id: message.id, result })}\n`);
      }, message.params?.name === 'slow' ? 30 : 1);
    }
  });
  agentOut.resume();
  const relay = new McpRelay({
    agent: new NdjsonStreamTransport(agentIn, agentOut),
    upstream: new NdjsonStreamTransport(upOut, upIn),
    policy, recorder: telemetry.recorder, clock: systemClock, logger: silentLogger, timeoutMs: 5_000,
    agentId: 'prop-agent', allowClientInfoName: false, upstreamLabel: 'bytes', networkTransport: NetworkTransport.PIPE,
    sessionId: 'prop', answerMalformed: { agent: true, upstream: true }, relateServerMessages: false,
  });
  await relay.start();
  agentIn.write('{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}\n');
  for (const line of lines) {
    agentIn.write(`${line}\n`);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 60));
  while (pendingAnswers > 0) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20));
  await relay.close();
  await telemetry.recorder.forceFlush();
  const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('tools/call'));
  await telemetry.recorder.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { received: received.filter((l) => l.includes('"tools/call"')), spans };
}

for (const mode of ['audit', 'enforce'] as const) {
  test(`random hostile sequences (${mode}): upstream calls == forwarded spans, one reading of every forwarded call`, async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { received, spans } = await runSequence(mode, hostileSequence(prng(seed * 7919 + (mode === 'audit' ? 1 : 2)), 30));
      const forwarded = spans.filter((s) => s.attributes['warden.rule'] !== 'protocol' && (mode === 'audit' || s.attributes['warden.decision'] === 'allow'));
      assert.equal(received.length, forwarded.length, `seed ${seed}: upstream got ${received.length} tools/call, ${forwarded.length} recorded as forwarded`);
      const recordedTools = forwarded.map((s) => String(s.attributes['gen_ai.tool.name'])).sort();
      for (const line of received) {
        const names = namesOf(line);
        assert.equal(new Set(names).size, 1, `seed ${seed}: two readings of ${line}`);
        if (mode === 'enforce') assert.notEqual(names[0], 'danger', `seed ${seed}: a denied tool went upstream: ${line}`);
      }
      assert.deepEqual(received.map((l) => namesOf(l)[0] as string).sort(), recordedTools, `seed ${seed}: the record names the tools the server ran`);
    }
  });
}
