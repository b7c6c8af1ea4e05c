// Real `warden proxy` processes sharing one limit through a real Redis: N proxies admit
// exactly max calls between them; a stopped or hung Redis makes the fallback decide within
// the bounded wait (spans say which), and a restarted one shares the counters again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Redis } from 'ioredis';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { WARDEN_BIN } from '../helpers/processes.js';
import { MEMORY_SERVER } from '../helpers/proxy-harness.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';

const root = mkdtempSync(join(tmpdir(), 'warden-redis-limits-'));
let redis: TestRedis;
let receiver: OtlpReceiver;
let proxies = 0;

before(async () => {
  redis = await startRedis();
  receiver = await OtlpReceiver.start();
});
after(async () => {
  await receiver.down();
  await redis.dispose();
  rmSync(root, { recursive: true, force: true });
});

function writePolicy(counter: string, max: number, scope: 'grant' | 'global'): string {
  const file = join(root, `${counter}.json`);
  writeFileSync(file, JSON.stringify({ version: '1', mode: 'enforce', default: 'allow', tools: { read_graph: { limits: [{ counter, window: 'hour', max, scope }] } } }));
  return file;
}

async function startProxy(policy: string, extra: string[] = []): Promise<Client> {
  const n = ++proxies;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WARDEN_BIN, 'proxy', '--policy', policy, '--agent', 'shared-agent', '--limits', redis.url, '--otlp', receiver.url, '--spool', join(root, `spool-${n}`), ...extra, '--', process.execPath, MEMORY_SERVER],
    env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', MEMORY_FILE_PATH: join(root, `memory-${n}.jsonl`) },
    stderr: process.env.DEBUG_PROXY ? 'inherit' : 'ignore',
  });
  const client = new Client({ name: `limits-client-${n}`, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

type Outcome = 'admitted' | 'refused';

async function call(client: Client): Promise<Outcome> {
  const result = await client.callTool({ name: 'read_graph', arguments: {} });
  if (result.isError !== true) return 'admitted';
  const text = (result.content as Array<{ text?: string }>)[0]?.text ?? '';
  assert.match(text, /rate limited/, 'a refusal is the limit\'s');
  return 'refused';
}

/** Every client fires `each` calls at once; returns how many were admitted in total. */
async function burst(clients: Client[], each: number): Promise<number> {
  const outcomes = await Promise.all(clients.flatMap((client) => Array.from({ length: each }, () => call(client))));
  return outcomes.filter((o) => o === 'admitted').length;
}

describe('N proxies, one shared limit', () => {
  for (const n of [2, 3]) {
    it(`${n} proxies with concurrent clients admit exactly max between them (grant and global)`, async () => {
      for (const scope of ['grant', 'global'] as const) {
        const max = 7;
        const policy = writePolicy(`shared-${n}-${scope}`, max, scope);
        // A generous wait: exactness is the point here, not the bounded wait (the machine may be loaded), and a fallback would show.
        const clients = await Promise.all(Array.from({ length: n }, () => startProxy(policy, ['--limits-timeout', '10s', '--limits-fallback', 'deny'])));
        try {
          assert.equal(await burst(clients, 6), max, `${n} proxies × 6 concurrent calls, ${scope} max ${max}`);
          assert.equal(await burst(clients, 2), 0, 'the window is full for every proxy');
        } finally {
          await Promise.all(clients.map((c) => c.close()));
        }
      }
    });
  }

  it('spans name the backend that decided: redis', async () => {
    await eventually('the redis-decided spans', () => receiver.spans.filter((s) => s.attributes['warden.limit.counter'] === 'shared-2-grant').length >= 16);
    const spans = receiver.spans.filter((s) => s.attributes['warden.limit.counter'] === 'shared-2-grant');
    assert.deepEqual(new Set(spans.map((s) => s.attributes['warden.limit.backend'])), new Set(['redis']));
    assert.equal(spans.filter((s) => s.attributes['warden.decision'] === 'allow').length, 7);
  });
});

/** The bounded wait in the outage tests: above the default 50ms so a loaded test machine does not fall back by itself. */
const WAIT_MS = 300;

describe('Redis hung, stopped, restarted', () => {
  const expected = { local: { admitted: 3, backend: 'local-fallback' }, deny: { admitted: 0, backend: 'deny-fallback' }, allow: { admitted: 8, backend: 'allow-fallback' } };
  for (const fallback of ['local', 'deny', 'allow'] as const) {
    it(`--limits-fallback ${fallback}: decided within the bounded wait while Redis hangs or is down; shared again once it is back`, async () => {
      const counter = `outage-${fallback}`;
      const key = `warden:limit:grant\u0000read_graph\u0000${counter}\u0000shared-agent`;
      const policy = writePolicy(counter, 3, 'grant');
      const flags = ['--limits-fallback', fallback, '--limits-timeout', `${WAIT_MS}ms`];
      const a = await startProxy(policy, flags);
      const b = await startProxy(policy, flags);
      const direct = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => 100 });
      direct.on('error', () => {});
      try {
        assert.equal(await burst([a, b], 1), 2, 'two admitted through Redis');
        redis.pause();
        let started = performance.now();
        await call(a);
        const hungMs = performance.now() - started;
        assert.ok(hungMs < WAIT_MS + 1500, `a hung Redis costs about the ${WAIT_MS}ms wait, not a hang (took ${Math.round(hungMs)}ms)`);
        await redis.stop();
        started = performance.now();
        assert.equal(await burst([b], 8), expected[fallback].admitted, `Redis down, fallback ${fallback}`);
        assert.ok(performance.now() - started < 3000, 'no hang while Redis is down');
        await redis.start();
        // Restarted without persistence, the counter starts empty; wait until each proxy decides through it again.
        for (const client of [b, a]) await untilDecidedByRedis(client, direct, key);
        const inRedis = await direct.zcard(key);
        assert.equal(await burst([a, b], 3), 3 - inRedis, 'shared again: both proxies fill one counter');
        assert.equal(await direct.zcard(key), 3);
      } finally {
        redis.resume();
        direct.disconnect();
        await Promise.all([a.close(), b.close()]);
      }
      await eventually('the fallback spans', () => receiver.spans.filter((s) => s.attributes['warden.limit.backend'] === expected[fallback].backend).length >= 9);
      const fellBack = receiver.spans.filter((s) => s.attributes['warden.limit.backend'] === expected[fallback].backend);
      assert.ok(fellBack.every((s) => s.attributes['warden.rule'] === 'tools.read_graph.limits[0]' || s.attributes['warden.rule'] === 'tools.read_graph'));
    });
  }
});

/** Calls through `client` until one of its calls is recorded in Redis' counter (it reconnects within ~2 s). */
async function untilDecidedByRedis(client: Client, direct: Redis, key: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const before = await direct.zcard(key).catch(() => -1);
    if (before >= 0) {
      await call(client);
      if ((await direct.zcard(key)) > before) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the proxy did not go back to Redis');
}
