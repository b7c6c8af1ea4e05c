// The policy case corpus (window boundaries, refused calls consuming nothing, same-ms calls,
// grants, sessions...) decided with every limit admitted by the Redis script: the decisions
// must be the local engine's, call for call. The script runs on the calls' own times here
// (clock: 'call') so recorded timestamps can be replayed; the proxies use Redis' clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { RedisCounters } from '../../src/limits/index.js';
import { loadCorpus, runCase } from '../helpers/policy-corpus.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';

let redis: TestRedis;
const clients: RedisCounters[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const client of clients) await client.close();
  await redis.dispose();
});

/** A fresh key space per case, as the local corpus runner uses a fresh engine per case. */
async function sharedCounters(caseIndex: number): Promise<RedisCounters> {
  const counters = new RedisCounters({ url: redis.url, timeoutMs: 2000, logger: createLogger({ level: 'silent' }), keyPrefix: `corpus:${caseIndex}:`, clock: 'call' });
  clients.push(counters);
  assert.ok(await counters.connect(5000), 'connects to the test Redis');
  return counters;
}

let caseIndex = 0;
for (const { file, cases } of loadCorpus()) {
  describe(`${file} against Redis`, () => {
    for (const spec of cases) {
      const index = caseIndex++;
      test(spec.name, async () => {
        const counters = await sharedCounters(index);
        await runCase(spec, async (engine, call) => {
          const decision = await engine.decideShared(call, { counters, name: 'redis', fallback: 'deny' });
          // A fallback would mean Redis never decided: that must not pass as agreement.
          if (decision.limitBackend !== undefined) assert.equal(decision.limitBackend, 'redis', decision.reason);
          return decision;
        });
      });
    }
  });
}
