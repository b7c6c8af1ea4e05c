// The proxy's start-up warm-up (WARDEN_PROXY_WARMUP synthetic calls through a throwaway relay)
// must leave no trace: the real policy's counters never see its calls, and no span of it is
// exported. A rolling limit of 3 a minute on a tool the warm-up also calls shows both.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { MEMORY_SERVER } from '../../helpers/proxy-harness.js';
import { WARDEN_BIN } from '../../helpers/processes.js';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/temp.js';

test('the warm-up spends none of the policy\'s limits and exports no span', async () => {
  const dir = tempDir('warm-up');
  const receiver = await OtlpReceiver.start();
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', mode: 'enforce', tools: { read_graph: { limits: [{ counter: 'reads', window: 'minute', max: 3 }] } } }));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', '--agent', 'it-agent', '--policy', policy, '--otlp', receiver.url, '--spool', join(dir, 'spool'), '--', process.execPath, MEMORY_SERVER],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', WARDEN_PROXY_WARMUP: '200', MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'it-client', version: '1.0.0' });
  const refused: boolean[] = [];
  try {
    await client.connect(transport);
    for (let i = 0; i < 4; i++) refused.push((await client.callTool({ name: 'read_graph', arguments: {} })).isError === true);
  } finally {
    await client.close();
  }
  assert.deepEqual(refused, [false, false, false, true], 'the first three calls fit the limit: the warm-up did not count against it');
  await eventually('the four calls\' spans at the receiver', () => receiver.named('tools/call read_graph').length >= 4, { detail: () => receiver.describe() });
  await receiver.down();
  const agents = new Set(receiver.spans.map((s) => s.attributes['gen_ai.agent.id']).filter((a) => a !== undefined));
  assert.deepEqual([...agents], ['it-agent'], 'no span from the warm-up\'s synthetic agent');
  assert.equal(receiver.spans.filter((s) => s.name.startsWith('tools/call')).length, 4);
});
