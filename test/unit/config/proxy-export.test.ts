import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EXPORT_BATCH_SPANS, DEFAULT_EXPORT_DELAY_MS, readEnv, resolveProxyConfig } from '../../../src/config/index.js';

test('the proxy export batch follows the OTel SDK variables, and refuses what is not a positive whole number', () => {
  const defaults = resolveProxyConfig({}, ['x'], {});
  assert.deepEqual([defaults.exportDelayMs, defaults.exportBatchSpans], [DEFAULT_EXPORT_DELAY_MS, DEFAULT_EXPORT_BATCH_SPANS]);
  const set = resolveProxyConfig({}, ['x'], readEnv({ OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16' }));
  assert.deepEqual([set.exportDelayMs, set.exportBatchSpans], [50, 16]);
  assert.throws(() => resolveProxyConfig({}, ['x'], { OTEL_BSP_SCHEDULE_DELAY: '0' }), /OTEL_BSP_SCHEDULE_DELAY must be a positive whole number, got "0"/);
  assert.throws(() => resolveProxyConfig({}, ['x'], { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1.5' }), /OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be a positive whole number/);
});
