// Which backend a CLI command uses: a serve that is slow to answer is still the serve (it holds
// the embedded store); only an address where nothing listens falls back to opening the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ApiClient } from '../../../src/cli/api-client.js';

test('probe: a listener that never answers counts as a busy serve; a refused connection as none', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
  await new Promise((resolve) => silent.once('listening', resolve));
  try {
    const { port } = silent.address() as AddressInfo;
    assert.equal(await new ApiClient(`http://127.0.0.1:${port}`).probe(), true);
    assert.equal(await new ApiClient('http://127.0.0.1:9').probe(), false);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
