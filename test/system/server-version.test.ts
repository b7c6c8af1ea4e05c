// Needs Debian's clickhouse-server (18.16): run by `npm run test:system`, which .ci/run calls
// after installing it. `npm test` on a fresh machine does not need it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWardenError } from '../../src/core/index.js';
import { ServerDriver } from '../../src/storage/index.js';
import { startOldClickHouse } from './helpers/old-clickhouse.js';

test('a real ClickHouse 18.16 server is refused on connect, naming the version needed', async () => {
  const server = await startOldClickHouse();
  try {
    await assert.rejects(ServerDriver.open({ url: server.url, database: 'warden' }), (e: unknown) => {
      assert.ok(isWardenError(e, 'WARDEN_STORE_TOO_OLD'), String(e));
      assert.match(e.message, /runs version 18\.16\.1, which is too old for Warden's schema: ClickHouse 23\.8 or newer is needed/);
      assert.match(e.message, new RegExp(server.url.replace(/\./g, '\\.')));
      return true;
    });
  } finally {
    await server.stop();
  }
});

