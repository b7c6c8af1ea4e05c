import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWardenError } from '../../../src/core/index.js';
import { MIN_SERVER_VERSION_TEXT, ServerDriver, checkServerVersion, parseServerVersion } from '../../../src/storage/index.js';

test('server versions compare by major.minor against the schema\'s minimum', () => {
  assert.deepEqual(parseServerVersion('24.3.2.23'), { major: 24, minor: 3, text: '24.3.2.23' });
  assert.equal(parseServerVersion('not a version'), undefined);
  for (const ok of ['23.8.1.1', '23.12.1', '24.1.1', '26.7.2.1']) assert.ok(checkServerVersion(ok, 'x').ok, ok);
  for (const old of ['18.16.1', '22.12.3', '23.7.9.9']) {
    const result = checkServerVersion(old, 'http://h:8123');
    assert.ok(!result.ok);
    assert.match(result.error, new RegExp(`runs version ${old.replace(/\./g, '\\.')}.*${MIN_SERVER_VERSION_TEXT} or newer is needed`));
  }
});

test('an unreachable server is reported as such, not as a query error', async () => {
  await assert.rejects(ServerDriver.open({ url: 'http://127.0.0.1:9', database: 'warden', requestTimeoutMs: 2000 }), (e: unknown) => {
    assert.ok(isWardenError(e, 'WARDEN_STORE_UNREACHABLE'), String(e));
    assert.match(e.message, /cannot reach the ClickHouse server at http:\/\/127\.0\.0\.1:9/);
    return true;
  });
});
