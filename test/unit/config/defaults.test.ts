import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_INGEST_LIMITS, DEFAULT_PROXY_WARMUP_CALLS, resolveProxyConfig, resolveServeConfig,
} from '../../../src/config/index.js';
import { isWardenError } from '../../../src/core/index.js';
import { main } from '../../../src/cli/main.js';

test('serve: the ingest limits come from DEFAULT_INGEST_LIMITS unless a flag says otherwise', () => {
  assert.deepEqual(resolveServeConfig({ store: '/nonexistent/warden-store' }, {}).ingest, DEFAULT_INGEST_LIMITS);
  const flagged = resolveServeConfig({ store: '/nonexistent/warden-store', batchRows: '5', flushInterval: '250ms', maxQueueRows: '7', maxBodyBytes: '1024' }, {}).ingest;
  assert.deepEqual(flagged, { maxBatchRows: 5, flushIntervalMs: 250, maxQueueRows: 7, maxBodyBytes: 1024 });
});

test('serve --help shows the same ingest defaults', async () => {
  let help = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((help += chunk), true)) as typeof process.stdout.write;
  try {
    await main(['serve', '--help']);
  } finally {
    process.stdout.write = write;
  }
  assert.match(help, new RegExp(`--batch-rows <n>[\\s\\S]*default:\\s+"${DEFAULT_INGEST_LIMITS.maxBatchRows}"`));
  assert.match(help, new RegExp(`--max-queue-rows <n>[\\s\\S]*default:\\s+"${DEFAULT_INGEST_LIMITS.maxQueueRows}"`));
  assert.match(help, new RegExp(`--max-body-bytes <n>[\\s\\S]*default:\\s+"${DEFAULT_INGEST_LIMITS.maxBodyBytes}"`));
  assert.match(help, /--flush-interval <duration>[\s\S]*default:\s+"1s"/);
});

test('proxy: WARDEN_PROXY_WARMUP sets the warm-up calls (0 turns it off); anything but a whole number is refused', () => {
  const resolve = (value?: string) => resolveProxyConfig({}, ['server'], value === undefined ? {} : { WARDEN_PROXY_WARMUP: value }, {}).warmUpCalls;
  assert.equal(resolve(), DEFAULT_PROXY_WARMUP_CALLS);
  assert.equal(resolve('0'), 0);
  assert.equal(resolve('250'), 250);
  for (const bad of ['-1', '1.5', 'lots']) assert.throws(() => resolve(bad), (e: unknown) => isWardenError(e, 'WARDEN_CONFIG_INVALID') && /WARDEN_PROXY_WARMUP/.test((e as Error).message));
});
